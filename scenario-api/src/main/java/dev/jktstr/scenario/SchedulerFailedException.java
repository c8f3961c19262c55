package dev.jktstr.scenario;

/**
 * A sched_ext scheduler that failed under test: it did not attach (it exited, or its BPF side called
 * {@code scx_bpf_error} while loading, or sched_ext never read {@code enabled}), or it could not be started again.
 * Not invalid input: the scheduler's own failure, which {@code jktstr run} reports as FAIL (exit 1).
 * {@link #reason()} says what happened with the kernel's words from kmsg, {@link #output()} is the end of the
 * scheduler's own output (both cleaned guest text).
 */
public final class SchedulerFailedException extends ScenarioException {
    private final String scheduler;
    private final String reason;
    private final String output;

    public SchedulerFailedException(String scheduler, String reason, String output) {
        super("scheduler " + scheduler + " " + reason + "; its output: " + (output.isEmpty() ? "(none)" : output));
        this.scheduler = scheduler;
        this.reason = reason;
        this.output = output;
    }

    /** The scheduler's name (its binary's file name). */
    public String scheduler() {
        return scheduler;
    }

    /** What happened, without the name: "failed to attach: it exited with status 1 (state: disabled); the kernel: …". */
    public String reason() {
        return reason;
    }

    /** The end of the scheduler's stdout and stderr, several lines; "" when it wrote nothing. */
    public String output() {
        return output;
    }
}
