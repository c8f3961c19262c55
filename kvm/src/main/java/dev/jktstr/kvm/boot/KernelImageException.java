package dev.jktstr.kvm.boot;

import dev.jktstr.kvm.KvmException;

/** A kernel image (or initramfs, or the memory given for them) this VMM cannot boot; the message says why and what to do. */
public class KernelImageException extends KvmException {

    public KernelImageException(String message) {
        super(message);
    }

    public KernelImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
