package dev.jktstr.virtio;

/**
 * The guest broke the virtio contract (a descriptor loop, a ring outside RAM, an index jump). Thrown
 * inside the device code, caught by the transport, which turns it into the failed state; it never
 * leaves this package. No stack trace: a hostile guest can make many of these and the message says
 * everything.
 */
final class GuestViolation extends RuntimeException {

    GuestViolation(String message) {
        super(message, null, false, false);
    }

    static GuestViolation of(String format, Object... args) {
        return new GuestViolation(String.format(format, args));
    }
}
