package dev.jktstr.scenario;

/** The scenario layer's unchecked exception family. */
public class ScenarioException extends RuntimeException {
    public ScenarioException(String message) {
        super(message);
    }

    public ScenarioException(String message, Throwable cause) {
        super(message, cause);
    }
}
