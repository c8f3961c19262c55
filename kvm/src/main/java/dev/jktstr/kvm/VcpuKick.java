package dev.jktstr.kvm;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.bindings.libc.Sigaction;
import dev.jktstr.nativeio.Errno;
import dev.jktstr.nativeio.Mmap;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kicks a vCPU thread out of a blocking KVM_RUN without native code of our own: a real-time signal
 * whose handler is a single {@code ret} in an executable page, installed without {@code SA_RESTART}, so
 * the ioctl returns EINTR. Together with {@code kvm_run.immediate_exit} (set before the kick) no kick is
 * lost, even one that lands just before the thread enters KVM_RUN.
 */
final class VcpuKick {

    /** SIGRTMIN+6: no signal HotSpot or glibc uses. */
    static final int SIGNAL = 40;

    private static boolean installed;
    @SuppressWarnings("unused") // kept reachable: the handler lives in it for the JVM's life
    private static Mmap handlerPage;

    private VcpuKick() {
    }

    /** Installs the handler once per JVM. */
    static synchronized void install() {
        if (installed) {
            return;
        }
        Mmap page = Mmap.anonymous(4096, LibcH.PROT_READ | LibcH.PROT_WRITE, LibcH.MAP_PRIVATE);
        page.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0xC3); // ret
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) LibcH.mprotect$mh.invokeExact(state, page.segment(), 4096L, LibcH.PROT_READ | LibcH.PROT_EXEC);
            check(rc, state, "mprotect(signal handler page)");
            MemorySegment action = arena.allocate(Sigaction.LAYOUT);
            Sigaction.SigactionHandler.sa_handler(Sigaction.__sigaction_handler(action), page.segment());
            Sigaction.sa_flags(action, 0); // no SA_RESTART: KVM_RUN must fail with EINTR
            rc = (int) LibcH.sigaction$mh.invokeExact(state, SIGNAL, action, MemorySegment.NULL);
            check(rc, state, "sigaction(" + SIGNAL + ")");
        } catch (KvmException e) {
            page.close();
            throw e;
        } catch (Throwable t) {
            page.close();
            throw new KvmException("installing the vCPU kick signal handler failed", t);
        }
        handlerPage = page;
        installed = true;
    }

    /** The calling thread's pthread_t. */
    static long self() {
        try (Arena arena = Arena.ofConfined()) {
            return (long) LibcH.pthread_self$mh.invokeExact(arena.allocate(Linker.Option.captureStateLayout()));
        } catch (Throwable t) {
            throw new KvmException("pthread_self failed", t);
        }
    }

    /** Sends the kick signal to a thread (ESRCH, a thread already gone, is ignored). */
    static void kick(long pthread) {
        int rc;
        try (Arena arena = Arena.ofConfined()) {
            rc = (int) LibcH.pthread_kill$mh.invokeExact(arena.allocate(Linker.Option.captureStateLayout()), pthread, SIGNAL);
        } catch (Throwable t) {
            throw new KvmException("pthread_kill failed", t);
        }
        // pthread_kill returns the error number instead of setting errno.
        if (rc != 0 && rc != LibcH.ESRCH) {
            throw new KvmException("pthread_kill(vCPU thread, " + SIGNAL + ") failed: " + Errno.name(rc));
        }
    }

    private static void check(int rc, MemorySegment state, String call) {
        if (rc == -1) {
            int errno = state.get(ValueLayout.JAVA_INT,
                    Linker.Option.captureStateLayout().byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")));
            throw new KvmException(call + " failed: " + Errno.name(errno));
        }
    }
}
