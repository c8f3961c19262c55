package dev.jktstr.kvm;

import dev.jktstr.nativeio.NativeException;

/** A KVM ioctl or syscall failed; carries the errno name ({@code EINVAL}) and what was being done. */
public class KvmCallException extends KvmException {

    private final String errnoName;

    public KvmCallException(String doing, NativeException cause) {
        super(doing + ": " + cause.getMessage(), cause);
        this.errnoName = cause.errnoName();
    }

    /** The errno name of the failed call, e.g. {@code EEXIST}. */
    public String errnoName() {
        return errnoName;
    }
}
