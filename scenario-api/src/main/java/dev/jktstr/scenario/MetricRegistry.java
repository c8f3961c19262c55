package dev.jktstr.scenario;

import dev.jktstr.scenario.RegisteredMetric.Gate;
import dev.jktstr.scenario.RegisteredMetric.Kind;
import dev.jktstr.scenario.RegisteredMetric.Polarity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every per-cgroup metric that result files carry ({@code ResultJson.metrics(CgroupStats)}), registered once: unit,
 * polarity, kind and default gate. {@code MetricRegistryTest} checks that each metric a result file holds is
 * here, so a new metric cannot be written without being registered. The gates are defaults for runs of a few
 * seconds; {@code perf-delta} also refuses a verdict on a change within the runs' own spread.
 */
public final class MetricRegistry {
    private static final Map<String, RegisteredMetric> METRICS = new LinkedHashMap<>();
    /** Moves with what the host gives the vCPUs (work done, gaps, latencies, how even the vCPUs' progress is). */
    private static final boolean HOST_BOUND = true;
    /** Counted inside the guest, the same however fast its vCPUs run. */
    private static final boolean GUEST_ONLY = false;


    static {
        add("workers", "workers", Polarity.INFORMATIONAL, Kind.GAUGE, 0, 0, "workers in the cgroup", GUEST_ONLY);
        add("stuckWorkers", "workers", Polarity.LOWER_IS_BETTER, Kind.COUNTER, 0, 1,
                "workers that did no iteration or did not report when stopped", GUEST_ONLY);
        // A maximum is the noisiest number a run has: identical 2 s runs under QEMU TCG on a shared host gave
        // longest gaps from 11 to 120 ms (PerfDeltaRealRunsTest, benchmarks/README.md), so the gate is +50% and +50 ms.
        add("maxGapMs", "ms", Polarity.LOWER_IS_BETTER, Kind.LATENCY_PERCENTILE, 0.5, 50,
                "longest time any worker was kept from running (p100), host stalls included", HOST_BOUND);
        add("maxGuestGapMs", "ms", Polarity.LOWER_IS_BETTER, Kind.LATENCY_PERCENTILE, 0.5, 50,
                "longest gap the host did not cause (p100)", GUEST_ONLY);
        add("fairnessSpread", "ratio", Polarity.LOWER_IS_BETTER, Kind.GAUGE, 0.25, 0.05,
                "(max - min) / mean of the workers' CPU time; 0 is perfectly fair", HOST_BOUND);
        add("throughputCv", "ratio", Polarity.LOWER_IS_BETTER, Kind.GAUGE, 0.25, 0.05,
                "coefficient of variation of the workers' work units", HOST_BOUND);
        add("minWorkRate", "units/s", Polarity.HIGHER_IS_BETTER, Kind.GAUGE, 0.10, 1,
                "the slowest worker's work units per second of wall time", HOST_BOUND);
        add("p99WakeLatencyUs", "µs", Polarity.LOWER_IS_BETTER, Kind.LATENCY_PERCENTILE, 0.25, 50,
                "the worst worker's p99 wake-up latency", HOST_BOUND);
        add("migrationRatio", "ratio", Polarity.LOWER_IS_BETTER, Kind.GAUGE, 0.25, 0.05,
                "CPU changes per iteration over all workers", GUEST_ONLY);
        add("workersOutsideCpuset", "workers", Polarity.LOWER_IS_BETTER, Kind.COUNTER, 0, 1,
                "workers seen on a CPU outside the cgroup's allowed set", GUEST_ONLY);
        add("totalWorkUnits", "units", Polarity.HIGHER_IS_BETTER, Kind.COUNTER, 0.10, 1,
                "work units all workers completed", HOST_BOUND);
        add("runDelayShare", "ratio", Polarity.LOWER_IS_BETTER, Kind.GAUGE, 0.25, 0.02,
                "mean share of wall time the workers waited for a CPU", GUEST_ONLY);
    }

    private MetricRegistry() {
    }

    private static void add(String name, String unit, Polarity polarity, Kind kind, double relative, double absolute,
            String description, boolean hostBound) {
        if (METRICS.put(name, new RegisteredMetric(name, unit, polarity, kind, new Gate(relative, absolute),
                description, hostBound)) != null) {
            throw new IllegalStateException("metric " + name + " registered twice");
        }
    }

    /** Every registered metric, in registration order. */
    public static List<RegisteredMetric> all() {
        return List.copyOf(METRICS.values());
    }

    /** The metric registered as {@code name}. */
    public static Optional<RegisteredMetric> byName(String name) {
        return Optional.ofNullable(METRICS.get(name));
    }

    /**
     * The metric a result-file key names: {@code <scenario>/<cgroup>.<metric>} as {@link ResultJson#readMetrics}
     * returns them (the metric is the part after the last dot; cgroup names may hold dots, metric names do not).
     */
    public static Optional<RegisteredMetric> forKey(String key) {
        return byName(key.substring(key.lastIndexOf('.') + 1));
    }
}
