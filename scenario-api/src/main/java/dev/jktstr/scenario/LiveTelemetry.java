package dev.jktstr.scenario;

/**
 * Numbers a run shows while it holds ({@link Ctx.Progress#live()}): from the agent's view of the running workers
 * ({@code WORKERS_PEEK}, about once a second) and the monitor's latest guest-memory snapshot. NaN = not known (yet).
 *
 * @param workers         workers running now
 * @param workUnits       work units done so far by every worker of the run (stopped ones included); never decreases
 * @param workRate        work units per second over the last interval, all workers together
 * @param worstGapMs      the longest a worker that never blocks by design has been kept from running so far (its gaps
 *                        so far and the one it is in now)
 * @param imbalance       max − min {@code nr_running} across CPUs in the latest snapshot
 * @param maxLocalDsqDepth deepest local DSQ in the latest snapshot
 * @param globalDsqDepth  deepest global DSQ in the latest snapshot (sched_ext only)
 * @param userDsqDepth    deepest user DSQ in the latest snapshot (schedulers that create their own)
 */
public record LiveTelemetry(int workers, long workUnits, double workRate, double worstGapMs, double imbalance,
        double maxLocalDsqDepth, double globalDsqDepth, double userDsqDepth) {

    /** Nothing known yet. */
    public static final LiveTelemetry NONE = new LiveTelemetry(0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN);
}
