package dev.jktstr.nativeio;

import dev.jktstr.bindings.libc.LibcH;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A memory mapping (mmap(2)) whose segment is bound to a shared arena: {@link #close()} invalidates the
 * segment for every thread first and then unmaps it, so nothing can touch unmapped memory.
 */
public final class Mmap implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Mmap.class);

    private final Arena arena;
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Mmap(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    /** Anonymous memory ({@code MAP_ANONYMOUS} is added to {@code flags}, e.g. {@link LibcH#MAP_PRIVATE}). */
    public static Mmap anonymous(long length, int prot, int flags) {
        return map(-1, "anonymous", length, prot, flags | LibcH.MAP_ANONYMOUS, 0);
    }

    /** Maps {@code length} bytes of {@code file} from {@code offset} (e.g. the kvm_run area of a vCPU fd). */
    public static Mmap of(FileDescriptor file, long length, int prot, int flags, long offset) {
        return map(file.fd(), file.toString(), length, prot, flags, offset);
    }

    @SuppressWarnings("restricted") // the kernel just gave us exactly length bytes at this address
    private static Mmap map(int fd, String what, long length, int prot, int flags, long offset) {
        if (length <= 0) {
            throw new IllegalArgumentException("mapping length must be positive: " + length);
        }
        MemorySegment state = CallState.current();
        MemorySegment address;
        try {
            address = (MemorySegment) LibcH.mmap$mh.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (address.address() == -1L) {
            throw new NativeException("mmap(" + what + ", " + length + " bytes)", CallState.errno(state));
        }
        Arena arena = Arena.ofShared();
        long start = address.address();
        MemorySegment segment = address.reinterpret(length, arena, ignored -> unmap(start, length));
        return new Mmap(arena, segment);
    }

    private static void unmap(long address, long length) {
        MemorySegment state = CallState.current();
        int result;
        try {
            result = (int) LibcH.munmap$mh.invokeExact(state, MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            LOG.warn("munmap(0x{}, {}) failed: {}", Long.toHexString(address), length, Errno.name(CallState.errno(state)));
        }
    }

    /** The mapped memory; invalid (every access throws) once closed. */
    public MemorySegment segment() {
        return segment;
    }

    public long length() {
        return segment.byteSize();
    }

    /** Unmaps; later calls do nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
