package dev.jktstr.nativeio;

import dev.jktstr.bindings.libc.LibcH;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * An open file descriptor. Every call throws {@link NativeException} with the errno name when the
 * kernel says -1; {@link #close()} closes it once, whichever thread calls it and however often.
 * Files are always opened with {@code O_CLOEXEC}, so no descriptor leaks into child processes.
 *
 * <p>The ioctl path allocates nothing: cached handles and a per-thread errno capture segment.
 *
 * <p>Closing while another thread is inside a call on the same descriptor is the caller's race to
 * avoid (as in C, the number may be reused by then); calls that start after close throw
 * {@link IllegalStateException}.
 */
public final class FileDescriptor implements AutoCloseable {

    private static final int CLOSED = -1;
    private static final VarHandle FD;

    static {
        try {
            FD = MethodHandles.lookup().findVarHandle(FileDescriptor.class, "fd", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int fd; // CLOSED once closed; written through FD
    private final String name;

    private FileDescriptor(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Opens {@code path} with open(2) {@code flags} (e.g. {@link LibcH#O_RDWR}); {@code O_CLOEXEC} is added.
     *
     * @throws NativeException when open fails: {@code open(/dev/kvm) failed: EACCES (Permission denied)}
     */
    public static FileDescriptor open(Path path, int flags) {
        String pathText = path.toString();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = CallState.current();
            int result;
            try {
                result = (int) LibcH.open$mh.invokeExact(state, arena.allocateFrom(pathText), flags | LibcH.O_CLOEXEC);
            } catch (Throwable t) {
                throw CallState.unexpected(t);
            }
            if (result < 0) {
                throw new NativeException("open(" + pathText + ")", CallState.errno(state));
            }
            return new FileDescriptor(result, pathText);
        }
    }

    /**
     * Takes ownership of a descriptor a call returned (the VM fd of {@code KVM_CREATE_VM}, an eventfd):
     * closing the returned object closes it.
     *
     * @param name how messages name it, e.g. {@code "kvm-vm"}
     */
    public static FileDescriptor adopt(int fd, String name) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        return new FileDescriptor(fd, name);
    }

    /** The descriptor number. @throws IllegalStateException once closed */
    public int fd() {
        int current = fd;
        if (current == CLOSED) {
            throw new IllegalStateException(name + " is closed");
        }
        return current;
    }

    public boolean isOpen() {
        return fd != CLOSED;
    }

    /**
     * ioctl(2) with no argument; returns what the ioctl returns. Passes 0 as the argument: ioctl reads
     * its third argument whatever the request, and KVM rejects garbage there with EINVAL.
     */
    public int ioctl(long request) {
        return ioctl(request, 0L);
    }

    /** ioctl(2) with an integer argument. */
    public int ioctl(long request, long arg) {
        MemorySegment state = CallState.current();
        int result;
        try {
            result = (int) LibcH.ioctl$long$mh.invokeExact(state, fd(), request, arg);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            throw ioctlFailure(request, state);
        }
        return result;
    }

    /** ioctl(2) with a pointer to {@code arg}, which must be native memory the kernel reads or writes. */
    public int ioctl(long request, MemorySegment arg) {
        MemorySegment state = CallState.current();
        int result;
        try {
            result = (int) LibcH.ioctl$pointer$mh.invokeExact(state, fd(), request, arg);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            throw ioctlFailure(request, state);
        }
        return result;
    }

    /** read(2) into {@code buffer}; returns the bytes read, 0 at end of file. */
    public long read(MemorySegment buffer) {
        MemorySegment state = CallState.current();
        long result;
        try {
            result = (long) LibcH.read$mh.invokeExact(state, fd(), buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            throw new NativeException("read(" + name + ")", CallState.errno(state));
        }
        return result;
    }

    /** write(2) from {@code buffer}; returns the bytes written. */
    public long write(MemorySegment buffer) {
        MemorySegment state = CallState.current();
        long result;
        try {
            result = (long) LibcH.write$mh.invokeExact(state, fd(), buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            throw new NativeException("write(" + name + ")", CallState.errno(state));
        }
        return result;
    }

    /** pread(2) into {@code buffer} from file offset {@code offset}. */
    public long pread(MemorySegment buffer, long offset) {
        MemorySegment state = CallState.current();
        long result;
        try {
            result = (long) LibcH.pread$mh.invokeExact(state, fd(), buffer, buffer.byteSize(), offset);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            throw new NativeException("pread(" + name + ", " + offset + ")", CallState.errno(state));
        }
        return result;
    }

    /** pwrite(2) from {@code buffer} at file offset {@code offset}. */
    public long pwrite(MemorySegment buffer, long offset) {
        MemorySegment state = CallState.current();
        long result;
        try {
            result = (long) LibcH.pwrite$mh.invokeExact(state, fd(), buffer, buffer.byteSize(), offset);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            throw new NativeException("pwrite(" + name + ", " + offset + ")", CallState.errno(state));
        }
        return result;
    }

    private NativeException ioctlFailure(long request, MemorySegment state) {
        return new NativeException("ioctl(" + name + ", 0x" + Long.toHexString(request) + ")", CallState.errno(state));
    }

    /**
     * Closes the descriptor; later calls do nothing. Linux releases the number even when close(2)
     * reports an error, so only errors other than EINTR are thrown, and only to the first caller.
     */
    @Override
    public void close() {
        int current = (int) FD.getAndSet(this, CLOSED);
        if (current == CLOSED) {
            return;
        }
        MemorySegment state = CallState.current();
        int result;
        try {
            result = (int) LibcH.close$mh.invokeExact(state, current);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1 && CallState.errno(state) != LibcH.EINTR) {
            throw new NativeException("close(" + name + ")", CallState.errno(state));
        }
    }

    @Override
    public String toString() {
        int current = fd;
        return "FileDescriptor[" + name + (current == CLOSED ? ", closed]" : ", fd " + current + "]");
    }
}
