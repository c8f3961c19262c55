package dev.jktstr.machine;

/**
 * The guest stopped or never became usable during boot (kernel panic, unreadable initramfs, the
 * VMM exited). {@link #exitReason()} says how it ended; the console tail says why.
 */
public final class BootFailedException extends MachineException {

    private final ExitReason exitReason;

    public BootFailedException(String message, ExitReason exitReason, String consoleTail, Throwable cause) {
        super(message, consoleTail, cause);
        this.exitReason = exitReason;
    }

    public ExitReason exitReason() {
        return exitReason;
    }
}
