package dev.jktstr.cli;

/** The CLI's own environment variables; empty means unset. */
final class Env {
    private Env() {}

    /** {@code JKTSTR_DEBUG}: print stack traces behind user-facing errors. */
    static boolean debug() {
        String value = System.getenv("JKTSTR_DEBUG");
        return value != null && !value.isEmpty() && !value.equals("0");
    }
}
