package dev.jktstr.guest;

/** Base of the guest layer's unchecked exceptions: images, initramfs archives and the agent protocol. */
public class GuestException extends RuntimeException {
    public GuestException(String message) {
        super(message);
    }

    public GuestException(String message, Throwable cause) {
        super(message, cause);
    }
}
