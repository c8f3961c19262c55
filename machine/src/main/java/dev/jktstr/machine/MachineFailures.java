package dev.jktstr.machine;

import java.time.Duration;

/**
 * Turns "the guest did not answer" into the exception that says why: the guest stopped (with its
 * exit reason) or it is still running but silent. Used by code that waits on a guest through its
 * channels (the agent client, the CLI) so every such failure carries the console tail.
 */
public final class MachineFailures {

    private MachineFailures() {
    }

    /**
     * @param doing what was awaited, e.g. "waiting for the guest agent"
     * @param timeout the limit that applied
     * @param cause what the channel reported (end of stream, timeout), may be null
     */
    public static MachineException explain(Machine machine, String doing, Duration timeout, Throwable cause) {
        // A channel ends a moment before the VMM is reaped; give the exit a short while to register.
        ExitReason reason = machine.exitReason().orElseGet(() -> {
            ExitReason r = machine.awaitExit(Duration.ofMillis(1500));
            return r == ExitReason.TIMEOUT ? null : r;
        });
        String tail = machine.consoleTail();
        if (reason != null) {
            return new BootFailedException("guest stopped (" + reason + ") while " + doing
                    + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : ""), reason, tail, cause);
        }
        return new MachineTimeoutException("guest still running but silent while " + doing, timeout, tail, cause);
    }
}
