package dev.jktstr.scenario;

/** A scenario that cannot run, found before anything boots; {@link #field()} names what is wrong. */
public final class InvalidScenarioException extends ScenarioException {
    private final String field;

    public InvalidScenarioException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
