package dev.jktstr.guest;

/** An initramfs entry or archive is invalid: bad name, size or mode, a duplicate path, or a corrupt archive. */
public class InitramfsException extends GuestException {
    public InitramfsException(String message) {
        super(message);
    }

    public InitramfsException(String message, Throwable cause) {
        super(message, cause);
    }
}
