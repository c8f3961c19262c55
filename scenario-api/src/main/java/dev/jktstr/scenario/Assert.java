package dev.jktstr.scenario;

import java.util.List;
import java.util.Objects;

/**
 * Thresholds of the standard checks, layered: {@code Assert.defaults().overlay(schedulerThresholds).overlay(testThresholds)}
 * — a later layer's set values win, unset ones ({@link #none()}) leave the layer below. NaN disables a numeric check.
 *
 * <p>The defaults are lenient on purpose: they catch broken scheduling (stuck workers, stalls of seconds, workers outside
 * their cpuset) on noisy emulated machines, not tuning differences.
 */
public record Assert(Boolean notStuck, Double maxGapMs, Double fairnessSpread, Boolean cpusetIsolation, Double throughputCv,
        Double minWorkRate, Double p99WakeLatencyUs, Double migrationRatio, Double maxImbalance, Double maxLocalDsqDepth,
        Boolean noRqClockStall, Boolean noSchedExtErrorExit) {

    /** Every check on, with lenient limits for TCG guests. */
    public static Assert defaults() {
        // Monitor limits: a p90 imbalance of 4 tasks and 32 tasks on one local DSQ are far beyond what a working
        // scheduler shows on small TCG guests, well within what a broken one does.
        return new Assert(true, 3000.0, 1.0, true, 0.75, 1.0, 500_000.0, 0.5, 4.0, 32.0, true, true);
    }

    /** Nothing set: a layer to put on top of another. */
    public static Assert none() {
        return new Assert(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** This layer with {@code top}'s set values on top. */
    public Assert overlay(Assert top) {
        Objects.requireNonNull(top, "top");
        return new Assert(or(top.notStuck, notStuck), or(top.maxGapMs, maxGapMs), or(top.fairnessSpread, fairnessSpread),
                or(top.cpusetIsolation, cpusetIsolation), or(top.throughputCv, throughputCv), or(top.minWorkRate, minWorkRate),
                or(top.p99WakeLatencyUs, p99WakeLatencyUs), or(top.migrationRatio, migrationRatio),
                or(top.maxImbalance, maxImbalance), or(top.maxLocalDsqDepth, maxLocalDsqDepth),
                or(top.noRqClockStall, noRqClockStall), or(top.noSchedExtErrorExit, noSchedExtErrorExit));
    }

    public Assert withNotStuck(boolean on) {
        return overlay(new Assert(on, null, null, null, null, null, null, null, null, null, null, null));
    }

    public Assert withMaxGapMs(double v) {
        return overlay(new Assert(null, v, null, null, null, null, null, null, null, null, null, null));
    }

    public Assert withFairnessSpread(double v) {
        return overlay(new Assert(null, null, v, null, null, null, null, null, null, null, null, null));
    }

    public Assert withCpusetIsolation(boolean on) {
        return overlay(new Assert(null, null, null, on, null, null, null, null, null, null, null, null));
    }

    public Assert withThroughputCv(double v) {
        return overlay(new Assert(null, null, null, null, v, null, null, null, null, null, null, null));
    }

    public Assert withMinWorkRate(double v) {
        return overlay(new Assert(null, null, null, null, null, v, null, null, null, null, null, null));
    }

    public Assert withP99WakeLatencyUs(double v) {
        return overlay(new Assert(null, null, null, null, null, null, v, null, null, null, null, null));
    }

    public Assert withMigrationRatio(double v) {
        return overlay(new Assert(null, null, null, null, null, null, null, v, null, null, null, null));
    }

    /** Monitor: p90 over samples of (max − min) nr_running across CPUs. */
    public Assert withMaxImbalance(double v) {
        return overlay(new Assert(null, null, null, null, null, null, null, null, v, null, null, null));
    }

    /** Monitor: deepest local DSQ on any CPU in any sample. */
    public Assert withMaxLocalDsqDepth(double v) {
        return overlay(new Assert(null, null, null, null, null, null, null, null, null, v, null, null));
    }

    /** Monitor: no runnable CPU whose rq clock stands still. */
    public Assert withNoRqClockStall(boolean on) {
        return overlay(new Assert(null, null, null, null, null, null, null, null, null, null, on, null));
    }

    /** Monitor: no sched_ext error exit while a sched_ext scheduler is expected. */
    public Assert withNoSchedExtErrorExit(boolean on) {
        return overlay(new Assert(null, null, null, null, null, null, null, null, null, null, null, on));
    }

    /** The monitor checks ({@link MonitorCheck#standard()}) over a run's snapshot summary, added to {@code v}. */
    public void check(Verdict v, MonitorSummary summary) {
        if (!summary.sampled()) {
            return;
        }
        MonitorCheck.standard().forEach(c -> c.check(summary, v));
    }

    /** An empty verdict that remembers these thresholds. */
    public Verdict verdict() {
        return new Verdict(this);
    }

    /** The standard checks over every cgroup of a run, into a new verdict. */
    public Verdict check(List<CgroupStats> cgroups) {
        Verdict v = verdict();
        cgroups.forEach(c -> check(v, c));
        return v;
    }

    /** The standard checks of one cgroup, added to {@code v}. */
    public void check(Verdict v, CgroupStats c) {
        if (c.workers().isEmpty()) {
            return;
        }
        if (on(notStuck)) {
            v.claim(CgroupStats::stuckWorkers, c).eq(0);
        }
        if (on(cpusetIsolation) && c.cpuset().isPresent()) {
            v.claim(CgroupStats::workersOutsideCpuset, c).eq(0);
        }
        if (set(minWorkRate)) {
            v.claim(CgroupStats::minWorkRate, c).atLeast(minWorkRate);
        }
        if (set(p99WakeLatencyUs) && Double.isFinite(c.p99WakeLatencyUs())) {
            v.claim(CgroupStats::p99WakeLatencyUs, c).atMost(p99WakeLatencyUs);
        }
        // Gaps, fairness and throughput spread mean something only for workers that always want to run.
        if (c.blocking()) {
            return;
        }
        if (set(maxGapMs)) {
            v.claim(CgroupStats::maxGapMs, c).atMost(maxGapMs);
        }
        if (c.workers().size() > 1) {
            if (set(fairnessSpread)) {
                v.claim(CgroupStats::fairnessSpread, c).atMost(fairnessSpread);
            }
            if (set(throughputCv)) {
                v.claim(CgroupStats::throughputCv, c).atMost(throughputCv);
            }
        }
        if (set(migrationRatio)) {
            v.claim(CgroupStats::migrationRatio, c).atMost(migrationRatio);
        }
    }

    private static boolean on(Boolean b) {
        return b != null && b;
    }

    private static boolean set(Double d) {
        return d != null && !d.isNaN();
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }
}
