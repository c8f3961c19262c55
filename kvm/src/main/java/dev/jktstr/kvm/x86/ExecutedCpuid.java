package dev.jktstr.kvm.x86;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.nativeio.Errno;
import dev.jktstr.nativeio.Mmap;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * {@link HostCpuid#executed()}: {@code void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])} as
 * machine code in a page of its own (written, then made read+execute, never writable and executable at
 * once), called through {@link Linker#downcallHandle(MemorySegment, FunctionDescriptor, Linker.Option...)}.
 * The page lives as long as the JVM.
 */
final class ExecutedCpuid implements HostCpuid {

    /** System V x86-64: leaf in EDI, sub-leaf in ESI, out in RDX; RBX is callee-saved. */
    private static final byte[] CODE = {
            0x53,                                   // push rbx
            0x49, (byte) 0x89, (byte) 0xd0,         // mov  r8, rdx
            (byte) 0x89, (byte) 0xf8,               // mov  eax, edi
            (byte) 0x89, (byte) 0xf1,               // mov  ecx, esi
            0x0f, (byte) 0xa2,                      // cpuid
            0x41, (byte) 0x89, 0x00,                // mov  [r8], eax
            0x41, (byte) 0x89, 0x58, 0x04,          // mov  [r8+4], ebx
            0x41, (byte) 0x89, 0x48, 0x08,          // mov  [r8+8], ecx
            0x41, (byte) 0x89, 0x50, 0x0c,          // mov  [r8+12], edx
            0x5b,                                   // pop  rbx
            (byte) 0xc3,                            // ret
    };
    private static final long PAGE = 4096;
    /** After CODE and PAGE: static fields initialise in order. */
    static final ExecutedCpuid INSTANCE = new ExecutedCpuid();

    private final MethodHandle stub;
    private final String unavailable;
    @SuppressWarnings({"unused", "FieldCanBeLocal"}) // keeps the code page mapped
    private final Mmap page;

    private ExecutedCpuid() {
        MethodHandle handle = null;
        Mmap mapped = null;
        String why = null;
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            why = "not an x86-64 JVM (os.arch " + arch + ")";
        } else {
            try {
                mapped = Mmap.anonymous(PAGE, LibcH.PROT_READ | LibcH.PROT_WRITE, LibcH.MAP_PRIVATE);
                MemorySegment.copy(CODE, 0, mapped.segment(), ValueLayout.JAVA_BYTE, 0, CODE.length);
                int errno = protectReadExecute(mapped.segment());
                if (errno != 0) {
                    why = "mprotect(PROT_EXEC) refused: " + Errno.name(errno);
                    mapped.close();
                    mapped = null;
                } else {
                    handle = downcall(mapped.segment());
                }
            } catch (RuntimeException | LinkageError e) {
                why = e.getClass().getSimpleName() + ": " + e.getMessage();
                if (mapped != null) {
                    mapped.close();
                    mapped = null;
                }
            }
        }
        this.stub = handle;
        this.page = mapped;
        this.unavailable = why;
    }

    private static int protectReadExecute(MemorySegment code) {
        try (Arena arena = Arena.ofConfined()) {
            StructLayout capture = Linker.Option.captureStateLayout();
            MemorySegment state = arena.allocate(capture);
            int result = (int) LibcH.mprotect$mh.invokeExact(state, code, PAGE, LibcH.PROT_READ | LibcH.PROT_EXEC);
            return result == 0 ? 0 : state.get(ValueLayout.JAVA_INT,
                    capture.byteOffset(MemoryLayout.PathElement.groupElement("errno")));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mprotect failed", t);
        }
    }

    @SuppressWarnings("restricted") // the stub above, with exactly this signature
    private static MethodHandle downcall(MemorySegment code) {
        return Linker.nativeLinker().downcallHandle(code,
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    Optional<String> unavailableReason() {
        return Optional.ofNullable(unavailable);
    }

    @Override
    public Optional<CpuidEntry> query(int leaf, int subleaf) {
        if (stub == null) {
            return Optional.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(16, 4);
            try {
                stub.invokeExact(leaf, subleaf, out);
            } catch (Throwable t) {
                throw new IllegalStateException("CPUID stub failed", t);
            }
            return Optional.of(CpuidEntry.indexed(leaf, subleaf, out.get(ValueLayout.JAVA_INT, 0),
                    out.get(ValueLayout.JAVA_INT, 4), out.get(ValueLayout.JAVA_INT, 8), out.get(ValueLayout.JAVA_INT, 12)));
        }
    }
}
