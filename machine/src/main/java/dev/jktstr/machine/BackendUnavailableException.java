package dev.jktstr.machine;

/** The backend cannot run here: its binary or device is missing, or it cannot boot this spec. */
public final class BackendUnavailableException extends MachineException {

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
