package dev.jktstr.machine;

/** A {@link MachineSpec} or {@link Topology} field holds a value no backend can boot. */
public final class InvalidSpecException extends MachineException {

    private final String field;

    public InvalidSpecException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The name of the offending field, e.g. {@code coresPerLlc}. */
    public String field() {
        return field;
    }
}
