package dev.jktstr.scenario;

/** How a run ended, with the process exit code the CLI uses for it. */
public enum Outcome {
    PASS(0), FAIL(1), INCONCLUSIVE(3), SKIP(4);

    private final int exitCode;

    Outcome(int exitCode) {
        this.exitCode = exitCode;
    }

    /** 0 pass, 1 fail, 3 inconclusive, 4 skip (2 stays picocli's usage error). */
    public int exitCode() {
        return exitCode;
    }
}
