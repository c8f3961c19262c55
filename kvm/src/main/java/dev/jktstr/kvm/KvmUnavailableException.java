package dev.jktstr.kvm;

/**
 * KVM cannot be used here: /dev/kvm missing or not openable, an API version or capability this VMM
 * needs is absent, or a request exceeds what KVM allows (vCPU count). The message says what to do.
 */
public class KvmUnavailableException extends KvmException {

    public KvmUnavailableException(String message) {
        super(message);
    }

    public KvmUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
