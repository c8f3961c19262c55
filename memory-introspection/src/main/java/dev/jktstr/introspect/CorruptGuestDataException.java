package dev.jktstr.introspect;

/** Guest data that cannot be what the kernel would write: a list that does not close, an impossible size. */
public final class CorruptGuestDataException extends IntrospectionException {
    private static final long serialVersionUID = 1L;

    public CorruptGuestDataException(String message) {
        super(message);
    }
}
