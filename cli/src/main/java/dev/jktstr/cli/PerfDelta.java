package dev.jktstr.cli;

import dev.jktstr.scenario.RegisteredMetric;
import dev.jktstr.scenario.MetricRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Baseline against candidate, metric by metric: each side's median and spread over its runs, and a verdict from the
 * metric's registered polarity and gate. A change past the gate that is not larger than the spread of either side
 * gets no verdict ({@link Verdict#NOISY}): the runs cannot tell it from noise. Nor does a change in a host-bound
 * metric when the host took a different share of the vCPUs' time on the two sides ({@link Verdict#HOST}): the runs
 * then measure the host as much as the change.
 */
final class PerfDelta {
    /** What one metric's comparison concludes. */
    enum Verdict {
        /** Worse past the gate and beyond the noise. */
        REGRESSION,
        /** Better past the gate and beyond the noise. */
        IMPROVED,
        /** Within the gate. */
        OK,
        /** Past the gate but not larger than the runs' spread: no verdict. */
        NOISY,
        /** Past the gate on a host-bound metric, by no more than the hosts' difference could explain: no verdict. */
        HOST,
        /** A metric that describes the run, never gated. */
        INFO,
        /** Not in the registry: no polarity, so no verdict. */
        UNREGISTERED,
        /** Present on one side only. */
        MISSING
    }

    /** One metric key's comparison; {@code metric} is empty for unregistered keys, a side is null where missing. */
    record Row(String key, Optional<RegisteredMetric> metric, MetricSpread baseline, MetricSpread candidate,
               Verdict verdict) {
        double change() {
            return candidate.median() - baseline.median();
        }
    }

    /**
     * Sides whose median host interference (held back plus stolen, {@code HostInterference#total}) differs by more
     * than this share of the vCPUs' time are not compared on host-bound metrics. A twentieth: identical 2 s runs on a
     * quiet 2-core host differ by about 0.01; a busy CI host takes 0.2 to 0.5 (benchmarks/README.md).
     */
    static final double HOST_GATE = 0.05;

    /**
     * How much the host took from each side's runs: the median interference, or NaN when no run of that side says.
     */
    record HostSides(double baseline, double candidate) {
        static final HostSides UNKNOWN = new HostSides(Double.NaN, Double.NaN);

        static HostSides of(List<Double> baseline, List<Double> candidate) {
            return new HostSides(median(baseline), median(candidate));
        }

        private static double median(List<Double> values) {
            List<Double> known = values.stream().filter(Double::isFinite).toList();
            return known.isEmpty() ? Double.NaN : MetricSpread.of(known).median();
        }

        /** Both known and further apart than {@link #HOST_GATE}. */
        boolean differ() {
            return Double.isFinite(baseline) && Double.isFinite(candidate) && Math.abs(candidate - baseline) > HOST_GATE;
        }

        /**
         * Whether the hosts' difference could account for {@code metric}'s change from {@code b} to {@code c}. A
         * counter or rate of work moves with the vCPU time the host left, (1 − taken): the change is the host's when
         * it is at most twice the relative change that ratio gives (3% against 9% taken explains about 6%, not a
         * halving). Gaps, latencies and spreads have no such bound (a stop lengthens a gap by all of its length):
         * any difference past the gate may be the host's.
         */
        boolean couldExplain(RegisteredMetric metric, MetricSpread b, MetricSpread c) {
            if (!metric.hostBound() || !differ()) {
                return false;
            }
            if (metric.kind() == RegisteredMetric.Kind.LATENCY_PERCENTILE || metric.unit().equals("ratio")) {
                return true;
            }
            double explained = Math.abs(1 - (1 - Math.min(candidate, 0.99)) / (1 - Math.min(baseline, 0.99)));
            double observed = b.median() == 0 ? Double.POSITIVE_INFINITY : Math.abs(c.median() - b.median()) / Math.abs(b.median());
            return observed <= 2 * explained;
        }
    }

    private PerfDelta() {
    }

    /** Compares every key either side has, sorted by key, not knowing what the host took from either side. */
    static List<Row> compare(Map<String, List<Double>> baseline, Map<String, List<Double>> candidate) {
        return compare(baseline, candidate, HostSides.UNKNOWN);
    }

    /** Compares every key either side has, sorted by key. */
    static List<Row> compare(Map<String, List<Double>> baseline, Map<String, List<Double>> candidate, HostSides host) {
        TreeSet<String> keys = new TreeSet<>(baseline.keySet());
        keys.addAll(candidate.keySet());
        List<Row> rows = new ArrayList<>();
        for (String key : keys) {
            Optional<RegisteredMetric> metric = MetricRegistry.forKey(key);
            List<Double> b = baseline.get(key);
            List<Double> c = candidate.get(key);
            MetricSpread bs = b == null || b.isEmpty() ? null : MetricSpread.of(b);
            MetricSpread cs = c == null || c.isEmpty() ? null : MetricSpread.of(c);
            Verdict v = verdict(metric, bs, cs);
            if ((v == Verdict.REGRESSION || v == Verdict.IMPROVED) && host.couldExplain(metric.get(), bs, cs)) {
                v = Verdict.HOST;
            }
            rows.add(new Row(key, metric, bs, cs, v));
        }
        return rows;
    }

    static Verdict verdict(Optional<RegisteredMetric> metric, MetricSpread b, MetricSpread c) {
        if (b == null || c == null) {
            return Verdict.MISSING;
        }
        if (metric.isEmpty()) {
            return Verdict.UNREGISTERED;
        }
        RegisteredMetric m = metric.get();
        if (m.polarity() == RegisteredMetric.Polarity.INFORMATIONAL) {
            return Verdict.INFO;
        }
        if (!m.gate().trips(b.median(), c.median())) {
            return Verdict.OK;
        }
        double change = Math.abs(c.median() - b.median());
        if (change <= Math.max(b.spread(), c.spread())) {
            return Verdict.NOISY;
        }
        return m.worse(b.median(), c.median()) ? Verdict.REGRESSION : Verdict.IMPROVED;
    }
}
