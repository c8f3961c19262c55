package dev.jktstr.scenario;

import java.util.List;

/**
 * A check that judges a run from outside the guest: from the {@link MonitorSummary} of guest-memory snapshots sampled
 * while the run held (runqueues and sched_ext state). {@link #standard()} are the built-in ones; each adds claims
 * labelled by the summary's metric methods, with limits from the verdict's {@link Assert} thresholds.
 */
public interface MonitorCheck {
    /** A short name for reports. */
    String name();

    /** Adds this check's claims over {@code summary} to {@code verdict} (limits from {@code verdict.thresholds()}). */
    void check(MonitorSummary summary, Verdict verdict);

    /**
     * Imbalance, local DSQ depth, rq clock stall, sched_ext error exit, global and user DSQ depth — each only when its
     * threshold is set.
     */
    static List<MonitorCheck> standard() {
        return List.of(MonitorChecks.IMBALANCE, MonitorChecks.LOCAL_DSQ_DEPTH, MonitorChecks.RQ_CLOCK_STALL,
                MonitorChecks.SCHED_EXT_ERROR_EXIT, MonitorChecks.GLOBAL_DSQ_DEPTH, MonitorChecks.USER_DSQ_DEPTH);
    }
}
