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
 * gets no verdict ({@link Verdict#NOISY}): the runs cannot tell it from noise.
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

    private PerfDelta() {
    }

    /** Compares every key either side has, sorted by key. */
    static List<Row> compare(Map<String, List<Double>> baseline, Map<String, List<Double>> candidate) {
        TreeSet<String> keys = new TreeSet<>(baseline.keySet());
        keys.addAll(candidate.keySet());
        List<Row> rows = new ArrayList<>();
        for (String key : keys) {
            Optional<RegisteredMetric> metric = MetricRegistry.forKey(key);
            List<Double> b = baseline.get(key);
            List<Double> c = candidate.get(key);
            MetricSpread bs = b == null || b.isEmpty() ? null : MetricSpread.of(b);
            MetricSpread cs = c == null || c.isEmpty() ? null : MetricSpread.of(c);
            rows.add(new Row(key, metric, bs, cs, verdict(metric, bs, cs)));
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
