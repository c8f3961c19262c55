package dev.jktstr.scenario;

/**
 * Extension point for checks that look at the guest kernel from outside (guest-memory snapshots of runqueues and
 * sched_ext state: imbalance, local DSQ depth, rq clock stalls, error exits). Scenarios call {@link #sample} while
 * holding and {@link #finish} at the end; the memory-introspection module will provide implementations.
 */
public interface MonitorCheck {
    /** A short name for reports. */
    String name();

    /** Called periodically during holds (the guest may be paused briefly to read a consistent snapshot). */
    void sample(Ctx ctx);

    /** Adds this monitor's claims and a summary note to the run's verdict. */
    void finish(Ctx ctx, Verdict verdict);
}
