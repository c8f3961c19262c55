package dev.jktstr.nativeio;

import dev.jktstr.bindings.libc.LibcH;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An eventfd(2) counter: what KVM's irqfd and ioeventfd signal through. */
public final class EventFd implements AutoCloseable {

    private final FileDescriptor descriptor;

    private EventFd(FileDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    /** A new eventfd; {@code EFD_CLOEXEC} is added to {@code flags} (e.g. {@link LibcH#EFD_NONBLOCK}). */
    public static EventFd create(int initialValue, int flags) {
        MemorySegment state = CallState.current();
        int fd;
        try {
            fd = (int) LibcH.eventfd$mh.invokeExact(state, initialValue, flags | LibcH.EFD_CLOEXEC);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (fd == -1) {
            throw new NativeException("eventfd()", CallState.errno(state));
        }
        return new EventFd(FileDescriptor.adopt(fd, "eventfd"));
    }

    public FileDescriptor descriptor() {
        return descriptor;
    }

    /** Adds {@code value} to the counter, waking a reader. */
    public void signal(long value) {
        MemorySegment scratch = CallState.scratch(CallState.current());
        scratch.set(ValueLayout.JAVA_LONG, 0, value);
        descriptor.write(scratch);
    }

    /** Reads and resets the counter; blocks while it is 0 unless the eventfd is non-blocking (then EAGAIN). */
    public long read() {
        MemorySegment scratch = CallState.scratch(CallState.current());
        descriptor.read(scratch);
        return scratch.get(ValueLayout.JAVA_LONG, 0);
    }

    @Override
    public void close() {
        descriptor.close();
    }
}
