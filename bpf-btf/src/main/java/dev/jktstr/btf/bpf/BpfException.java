package dev.jktstr.btf.bpf;

/** A bpf(2) command failed; carries the errno and its name ({@code EPERM}, not -1). */
public class BpfException extends RuntimeException {
    private final int errno;
    private final String errnoName;

    public BpfException(String call, int errno) {
        super(call + " failed: " + BpfSyscall.errnoName(errno));
        this.errno = errno;
        this.errnoName = BpfSyscall.errnoName(errno);
    }

    public int errno() {
        return errno;
    }

    /** {@code EPERM}, {@code ENOENT}, ... */
    public String errnoName() {
        return errnoName;
    }
}
