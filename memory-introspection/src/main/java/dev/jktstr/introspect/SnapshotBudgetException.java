package dev.jktstr.introspect;

/** A snapshot spent its byte or node budget ({@link IntrospectionLimits}); what is left unread is a field error. */
public final class SnapshotBudgetException extends IntrospectionException {
    private static final long serialVersionUID = 1L;

    public SnapshotBudgetException(String message) {
        super(message);
    }
}
