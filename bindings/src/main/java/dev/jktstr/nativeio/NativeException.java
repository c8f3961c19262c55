package dev.jktstr.nativeio;

/**
 * A system call or libc function failed: carries the errno, its symbolic name and the call, e.g.
 * {@code open(/dev/kvm) failed: EACCES (Permission denied)}. Layers above may extend it for their
 * own family (a KVM exception is still a native one).
 */
public class NativeException extends RuntimeException {

    private final int errno;
    private final String call;

    /**
     * @param call  what was called, with what matters of its arguments: {@code "open(/dev/kvm)"}
     * @param errno the errno the call left
     */
    public NativeException(String call, int errno) {
        super(call + " failed: " + Errno.name(errno) + " (" + Errno.description(errno) + ")");
        this.errno = errno;
        this.call = call;
    }

    public int errno() {
        return errno;
    }

    /** The symbolic name of {@link #errno()}: {@code "EACCES"}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** The failed call: {@code "open(/dev/kvm)"}. */
    public String call() {
        return call;
    }
}
