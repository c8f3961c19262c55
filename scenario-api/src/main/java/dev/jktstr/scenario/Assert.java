package dev.jktstr.scenario;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Thresholds of the standard checks, layered: defaults, then the scheduler's preset ({@link ThresholdPresets}), then
 * the test's — {@code Assert.defaults().overlay(schedulerThresholds).overlay(testThresholds)}; a later layer's set
 * values win, unset ones ({@link #none()}) leave the layer below. NaN disables a numeric check.
 * {@link ThresholdLayers} keeps the layers apart, so a result can say which layer each threshold came from.
 *
 * <p>The defaults are lenient on purpose: they catch broken scheduling (stuck workers, stalls of seconds, workers outside
 * their cpuset) on noisy emulated machines, not tuning differences.
 */
public record Assert(Boolean notStuck, Double maxGapMs, Double fairnessSpread, Boolean cpusetIsolation, Double throughputCv,
        Double minWorkRate, Double p99WakeLatencyUs, Double migrationRatio, Double maxImbalance, Double maxLocalDsqDepth,
        Boolean noRqClockStall, Boolean noSchedExtErrorExit, Double maxGlobalDsqDepth, Double maxUserDsqDepth) {

    private static final RecordComponent[] FIELDS = Assert.class.getRecordComponents();

    /** Every check on, with lenient limits for TCG guests. */
    public static Assert defaults() {
        // Monitor limits: a p90 imbalance of 4 tasks and 32 tasks on one local or global DSQ are far beyond what a
        // working scheduler shows on small TCG guests, well within what a broken one does. User DSQs are the
        // scheduler's own business (a vtime scheduler may park every task in one): no limit unless a layer sets one.
        return new Assert(true, 3000.0, 1.0, true, 0.75, 1.0, 500_000.0, 0.5, 4.0, 32.0, true, true, 32.0, Double.NaN);
    }

    /** Nothing set: a layer to put on top of another. */
    public static Assert none() {
        return new Assert(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** This layer with {@code top}'s set values on top. */
    public Assert overlay(Assert top) {
        Objects.requireNonNull(top, "top");
        Object[] v = new Object[FIELDS.length];
        for (int i = 0; i < FIELDS.length; i++) {
            Object t = get(top, FIELDS[i].getName());
            v[i] = t != null ? t : get(this, FIELDS[i].getName());
        }
        return make(v);
    }

    /** The names of the thresholds (the record's components), in order. */
    public static List<String> fieldNames() {
        return Arrays.stream(FIELDS).map(RecordComponent::getName).toList();
    }

    /** A threshold by name ({@link #fieldNames()}): a Double, a Boolean or null when this layer leaves it unset. */
    public Object value(String field) {
        return get(this, field);
    }

    /** This layer with one threshold set (or unset with null); {@code field} is one of {@link #fieldNames()}. */
    Assert with(String field, Object value) {
        Object[] v = new Object[FIELDS.length];
        boolean found = false;
        for (int i = 0; i < FIELDS.length; i++) {
            boolean it = FIELDS[i].getName().equals(field);
            found |= it;
            v[i] = it ? value : get(this, FIELDS[i].getName());
        }
        if (!found) {
            throw new IllegalArgumentException("no threshold named '" + field + "'; known: " + fieldNames());
        }
        return make(v);
    }

    private static Object get(Assert a, String field) {
        for (RecordComponent c : FIELDS) {
            if (c.getName().equals(field)) {
                try {
                    return c.getAccessor().invoke(a);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new IllegalArgumentException("no threshold named '" + field + "'; known: " + fieldNames());
    }

    private static Assert make(Object[] values) {
        try {
            Class<?>[] types = Arrays.stream(FIELDS).map(RecordComponent::getType).toArray(Class<?>[]::new);
            return Assert.class.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    public Assert withNotStuck(boolean on) {
        return with("notStuck", on);
    }

    public Assert withMaxGapMs(double v) {
        return with("maxGapMs", v);
    }

    public Assert withFairnessSpread(double v) {
        return with("fairnessSpread", v);
    }

    public Assert withCpusetIsolation(boolean on) {
        return with("cpusetIsolation", on);
    }

    public Assert withThroughputCv(double v) {
        return with("throughputCv", v);
    }

    public Assert withMinWorkRate(double v) {
        return with("minWorkRate", v);
    }

    public Assert withP99WakeLatencyUs(double v) {
        return with("p99WakeLatencyUs", v);
    }

    public Assert withMigrationRatio(double v) {
        return with("migrationRatio", v);
    }

    /** Monitor: p90 over samples of (max − min) nr_running across CPUs. */
    public Assert withMaxImbalance(double v) {
        return with("maxImbalance", v);
    }

    /** Monitor: deepest local DSQ on any CPU in any sample. */
    public Assert withMaxLocalDsqDepth(double v) {
        return with("maxLocalDsqDepth", v);
    }

    /** Monitor: no runnable CPU whose rq clock stands still. */
    public Assert withNoRqClockStall(boolean on) {
        return with("noRqClockStall", on);
    }

    /** Monitor: no sched_ext error exit while a sched_ext scheduler is expected. */
    public Assert withNoSchedExtErrorExit(boolean on) {
        return with("noSchedExtErrorExit", on);
    }

    /** Monitor: deepest global DSQ (any NUMA node's) in any sample while a sched_ext scheduler is attached. */
    public Assert withMaxGlobalDsqDepth(double v) {
        return with("maxGlobalDsqDepth", v);
    }

    /** Monitor: deepest user DSQ (created by the scheduler) in any sample; off by default. */
    public Assert withMaxUserDsqDepth(double v) {
        return with("maxUserDsqDepth", v);
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
            // A gap the host made (it did not run the vCPU) is not the scheduler's: judged on the guest's part alone.
            Verdict.Claim gap = v.claim(CgroupStats::maxGapMs, c);
            c.gapHostDetail().ifPresent(gap::detail);
            if (c.maxGuestGapMs() <= maxGapMs) {
                gap.inconclusiveIfFails("the host held the vCPU back for the rest: the guest's part of every gap is within the limit");
            }
            gap.atMost(maxGapMs);
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
