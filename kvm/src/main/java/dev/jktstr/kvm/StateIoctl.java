package dev.jktstr.kvm;

import dev.jktstr.nativeio.FileDescriptor;
import dev.jktstr.nativeio.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A KVM state ioctl (KVM_GET_* / KVM_SET_*) on a struct kept as plain bytes: snapshots store KVM's structs as KVM
 * gives them, so one copy in and out of native memory serves every GET and SET.
 */
final class StateIoctl {

    private StateIoctl() {
    }

    /** Runs {@code request} on a native copy of {@code struct} and copies the result back; returns what the ioctl returns. */
    static int call(FileDescriptor fd, long request, byte[] struct, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(struct.length, 8);
            MemorySegment.copy(struct, 0, native_, ValueLayout.JAVA_BYTE, 0, struct.length);
            int result = fd.ioctl(request, native_);
            MemorySegment.copy(native_, ValueLayout.JAVA_BYTE, 0, struct, 0, struct.length);
            return result;
        } catch (NativeException e) {
            throw new KvmCallException(what, e);
        }
    }
}
