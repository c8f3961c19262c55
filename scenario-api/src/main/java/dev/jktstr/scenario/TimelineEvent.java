package dev.jktstr.scenario;

import java.time.Duration;

/**
 * Something that happened during a run, in order: a step started, a scheduler was detached or attached, a payload
 * started or ended.
 *
 * @param at        time since the run started
 * @param step      the step (1-based) it belongs to
 * @param kind      {@code step}, {@code scheduler-detached}, {@code scheduler-attached}, {@code payload-started},
 *                  {@code payload-ended}
 * @param scheduler the scheduler in charge after the event ({@code eevdf}, or the binary's name)
 * @param opsName   the sched_ext ops name the kernel reported ({@code /sys/kernel/sched_ext/root/ops}), "" for EEVDF
 * @param detail    free text (how long the swap waited, the state read)
 */
public record TimelineEvent(Duration at, int step, String kind, String scheduler, String opsName, String detail) {
    public static final String STEP = "step";
    public static final String DETACHED = "scheduler-detached";
    public static final String ATTACHED = "scheduler-attached";
    public static final String PAYLOAD_STARTED = "payload-started";
    public static final String PAYLOAD_ENDED = "payload-ended";

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.2f s step %d %s %s%s%s", at.toNanos() / 1e9, step, kind, scheduler,
                opsName.isEmpty() ? "" : " (" + opsName + ")", detail.isEmpty() ? "" : ": " + detail);
    }
}
