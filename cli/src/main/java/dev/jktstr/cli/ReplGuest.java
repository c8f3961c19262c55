package dev.jktstr.cli;

import dev.jktstr.scenario.Ctx;

/**
 * The guest {@code jktstr repl} booted, handed to the JShell snippets (they run in this JVM and see this class):
 * the startup snippet binds it to {@code g}. Null when the repl booted none.
 */
public final class ReplGuest {

    private static volatile Ctx guest;

    private ReplGuest() {}

    /** The booted guest, or null. */
    public static Ctx get() {
        return guest;
    }

    static void bind(Ctx ctx) {
        guest = ctx;
    }

    static void unbind() {
        guest = null;
    }
}
