package dev.jktstr.cli;

import dev.jktstr.kconfig.KernelNotFoundException;
import dev.jktstr.machine.GuestText;
import picocli.CommandLine;

/**
 * Turns an exception escaping a subcommand into one line a person can act on, instead of a
 * stack trace. {@code JKTSTR_DEBUG=1} keeps the stack trace for bug reports. The message often quotes the guest (its
 * stderr, a scheduler's output, the console tail): it goes through {@link GuestText#lines} as a last line of defence.
 */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {

    /** Exit status for a failure the user can fix (bad input, missing prerequisite). */
    static final int USER_ERROR = 2;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        // The scenario API words a missing kernel for Java users; on the command line the flags are the way.
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof KernelNotFoundException missing) {
                message = "kernel: " + missing.getMessage();
                break;
            }
        }
        cl.getErr().println(cl.getCommandSpec().qualifiedName() + ": " + GuestText.lines(message, 64 << 10));
        if (Env.debug()) {
            ex.printStackTrace(cl.getErr());
        }
        return USER_ERROR;
    }
}
