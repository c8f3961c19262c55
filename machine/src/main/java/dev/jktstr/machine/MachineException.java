package dev.jktstr.machine;

/**
 * Base of the machine layer's unchecked exception family. Every failure that happens while a guest
 * runs carries the tail of its console, because that is where the guest says what went wrong.
 */
public class MachineException extends RuntimeException {

    private final String consoleTail;

    public MachineException(String message) {
        this(message, "", null);
    }

    public MachineException(String message, Throwable cause) {
        this(message, "", cause);
    }

    public MachineException(String message, String consoleTail, Throwable cause) {
        super(message, cause);
        this.consoleTail = consoleTail == null ? "" : consoleTail;
    }

    /** The last lines the guest wrote to its console before the failure; empty if it never ran. */
    public String consoleTail() {
        return consoleTail;
    }

    /** Stack traces (test reports, logs) show the console tail too: it is where the guest says why. */
    @Override
    public String toString() {
        return getClass().getName() + ": " + describe();
    }

    /** The message followed by the console tail, for people reading a log. */
    public String describe() {
        return consoleTail.isEmpty()
                ? getMessage()
                : getMessage() + System.lineSeparator() + "--- console tail ---" + System.lineSeparator() + consoleTail;
    }
}
