package dev.jktstr.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The per-thread memory a downcall needs besides its arguments: the segment every generated handle
 * captures {@code errno} into, and 8 bytes of scratch for small out-parameters (an eventfd counter).
 * Allocated once per thread and freed with it, so calls on the hot path allocate nothing.
 */
final class CallState {

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final long SCRATCH_OFFSET = (CAPTURE.byteSize() + 7) & ~7L;
    private static final ThreadLocal<MemorySegment> STATE = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(SCRATCH_OFFSET + Long.BYTES, 8));

    private CallState() {}

    /** This thread's capture segment: pass it as the first argument of a generated handle. */
    static MemorySegment current() {
        return STATE.get();
    }

    /** The errno the last call through {@code state} captured. */
    static int errno(MemorySegment state) {
        return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /** 8 bytes of this thread's state that no capture touches. */
    static MemorySegment scratch(MemorySegment state) {
        return state.asSlice(SCRATCH_OFFSET, Long.BYTES);
    }

    /** Downcalls do not throw checked exceptions; anything else reaching here is a bug, not an error. */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException runtime) {
            return runtime;
        }
        if (t instanceof Error error) {
            throw error;
        }
        return new IllegalStateException("downcall failed", t);
    }
}
