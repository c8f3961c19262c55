package dev.jktstr.kvm.boot;

import dev.jktstr.kvm.KvmException;

/** A kernel image (or initramfs, or the memory given for them) this VMM cannot boot; the message says why and what to do. */
public class KernelLoadException extends KvmException {

    public KernelLoadException(String message) {
        super(message);
    }

    public KernelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
