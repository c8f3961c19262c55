package dev.jktstr.btf.bpf;

import dev.jktstr.bindings.bpf.BpfAttr;
import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.nativeio.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The bpf(2) system call through libc's {@code syscall()} (generated handle), with errno captured
 * per call. {@code union bpf_attr} is the generated {@link BpfAttr}.
 */
final class BpfSyscall {
    /** sizeof(union bpf_attr) in the headers the bindings were generated from; the kernel accepts a shorter attr. */
    static final long ATTR_SIZE = BpfAttr.LAYOUT.byteSize();

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final long ERRNO = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private BpfSyscall() {}

    /** A zeroed {@code union bpf_attr}. */
    static MemorySegment attr(Arena arena) {
        return arena.allocate(BpfAttr.LAYOUT);
    }

    /** bpf(cmd, attr, sizeof attr): the non-negative result, or a {@link BpfException} with errno. */
    static long bpf(int cmd, MemorySegment attr, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long r = (long) LibcH.syscall$long$long$long$mh.invokeExact(state, (long) LibcH.SYS_bpf, (long) cmd,
                    attr.address(), ATTR_SIZE);
            if (r < 0) {
                throw new BpfException(what, state.get(ValueLayout.JAVA_INT, ERRNO));
            }
            return r;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("bpf(2) downcall failed", t);
        }
    }

    static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) LibcH.close$mh.invokeExact(arena.allocate(CAPTURE), fd);
            assert r == 0 || r == -1;
        } catch (Throwable t) {
            throw new IllegalStateException("close downcall failed", t);
        }
    }

    static String errnoName(int errno) {
        return Errno.name(errno);
    }
}
