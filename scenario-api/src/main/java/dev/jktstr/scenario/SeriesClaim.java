package dev.jktstr.scenario;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.DoublePredicate;

/**
 * Claims over how a {@link TimeSeries} evolves during a run, not only where it ends: {@code
 * verdict.claimOver(series).nonDecreasing()}, {@code .rateWithin(100, 5000)}, {@code .steadyWithin(10, warmUp)}, … Each
 * adds one row to the verdict, labelled with the series' name; a failed one names the sample where it broke and what
 * was read there. A series with too few points to decide is INCONCLUSIVE, not a pass. For one number per phase (a
 * counter's growth in step 2, the value at a step boundary) reduce the series — {@link TimeSeries#window},
 * {@link TimeSeries#delta()}, {@link TimeSeries#valueAt} — and make an ordinary claim on it.
 */
public final class SeriesClaim {
    private final Verdict verdict;
    private final TimeSeries s;

    SeriesClaim(Verdict verdict, TimeSeries series) {
        this.verdict = verdict;
        this.s = series;
    }

    /** No value is lower than the one before it (a counter). */
    public Verdict nonDecreasing() {
        return monotonic("non-decreasing", false);
    }

    /** Every value is higher than the one before it. */
    public Verdict strictlyIncreasing() {
        return monotonic("strictly increasing", true);
    }

    private Verdict monotonic(String what, boolean strict) {
        if (s.size() < 2) {
            return undecided("is", what, 2);
        }
        for (int i = 1; i < s.size(); i++) {
            double prev = s.values().get(i - 1);
            double v = s.values().get(i);
            if (strict ? !(v > prev) : !(v >= prev)) {
                return add(v, "is", what, List.of(), false, s.where(i) + ": " + fmt(v) + " after " + fmt(prev));
            }
        }
        return add(Double.NaN, "is", what, List.of(), true, s.size() + " samples");
    }

    /** Between every two consecutive samples the series grows by {@code lo}..{@code hi} per second. */
    public Verdict rateWithin(double lo, double hi) {
        String threshold = "[" + fmt(lo) + ", " + fmt(hi) + "]/s";
        if (s.size() < 2) {
            return undecided("rate in", threshold, 2);
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 1; i < s.size(); i++) {
            long dt = s.atMs().get(i) - s.atMs().get(i - 1);
            if (dt <= 0) {
                continue;
            }
            double rate = (s.values().get(i) - s.values().get(i - 1)) * 1000.0 / dt;
            if (!(rate >= lo && rate <= hi)) {
                return add(rate, "rate in", threshold, List.of(lo, hi), false, s.where(i) + ": " + fmt(rate) + "/s over the "
                        + dt + " ms before it");
            }
            min = Math.min(min, rate);
            max = Math.max(max, rate);
        }
        return add(Double.NaN, "rate in", threshold, List.of(lo, hi), true, "rates " + fmt(min) + ".." + fmt(max) + "/s");
    }

    /** After {@code warmUp}, every value lies within ±{@code percent}% of their mean. */
    public Verdict steadyWithin(double percent, Duration warmUp) {
        TimeSeries after = s.window(warmUp.toMillis(), Long.MAX_VALUE);
        String threshold = "±" + fmt(percent) + "% after " + warmUp.toMillis() + " ms";
        if (after.size() < 2) {
            return undecided("steady", threshold, 2);
        }
        double mean = after.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double band = Math.abs(mean) * percent / 100;
        for (int i = 0; i < after.size(); i++) {
            double v = after.values().get(i);
            if (!(Math.abs(v - mean) <= band)) {
                return add(v, "steady", threshold, List.of(percent), false, after.where(i) + ": " + fmt(v) + ", mean "
                        + fmt(mean));
            }
        }
        return add(mean, "steady", threshold, List.of(percent), true, "mean " + fmt(mean));
    }

    /** By {@code within} into the run the series reaches {@code target} ± {@code tolerance} and stays there. */
    public Verdict convergesTo(double target, double tolerance, Duration within) {
        String threshold = fmt(target) + " ± " + fmt(tolerance) + " by " + within.toMillis() + " ms";
        if (s.isEmpty()) {
            return undecided("converges to", threshold, 1);
        }
        int lastOutside = -1;
        for (int i = 0; i < s.size(); i++) {
            if (!(Math.abs(s.values().get(i) - target) <= tolerance)) {
                lastOutside = i;
            }
        }
        boolean ok = lastOutside < 0 || (lastOutside + 1 < s.size() && s.atMs().get(lastOutside + 1) <= within.toMillis());
        return add(s.last(), "converges to", threshold, List.of(target, tolerance), ok, lastOutside < 0 ? "always within"
                : s.where(lastOutside) + " was still " + fmt(s.values().get(lastOutside)));
    }

    /** Every value meets {@code condition}, described for the verdict table ({@code "<= 4"}). */
    public Verdict always(DoublePredicate condition, String description) {
        if (s.isEmpty()) {
            return undecided("always", description, 1);
        }
        for (int i = 0; i < s.size(); i++) {
            if (!condition.test(s.values().get(i))) {
                return add(s.values().get(i), "always", description, List.of(), false, s.where(i) + ": " + fmt(s.values().get(i)));
            }
        }
        return add(Double.NaN, "always", description, List.of(), true, s.size() + " samples");
    }

    /** No value meets {@code condition}. */
    public Verdict never(DoublePredicate condition, String description) {
        if (s.isEmpty()) {
            return undecided("never", description, 1);
        }
        for (int i = 0; i < s.size(); i++) {
            if (condition.test(s.values().get(i))) {
                return add(s.values().get(i), "never", description, List.of(), false, s.where(i) + ": " + fmt(s.values().get(i)));
            }
        }
        return add(Double.NaN, "never", description, List.of(), true, s.size() + " samples");
    }

    /** At every sample, this series divided by {@code other} (its latest value by then) lies in [lo, hi]. */
    public Verdict ratioWithin(TimeSeries other, double lo, double hi) {
        String threshold = "/ " + other.name() + " in [" + fmt(lo) + ", " + fmt(hi) + "]";
        int judged = 0;
        for (int i = 0; i < s.size(); i++) {
            double d = other.valueAt(s.atMs().get(i));
            if (Double.isNaN(d) || d == 0) {
                continue;
            }
            judged++;
            double r = s.values().get(i) / d;
            if (!(r >= lo && r <= hi)) {
                return add(r, "ratio", threshold, List.of(lo, hi), false, s.where(i) + ": " + fmt(s.values().get(i)) + " / "
                        + fmt(d));
            }
        }
        return judged == 0 ? undecided("ratio", threshold, 1) : add(Double.NaN, "ratio", threshold, List.of(lo, hi), true,
                judged + " samples");
    }

    private Verdict undecided(String comparison, String threshold, int needed) {
        verdict.record(new ClaimResult(s.name(), Double.NaN, comparison, threshold, List.of(), Outcome.INCONCLUSIVE,
                s.size() + " sample(s), " + needed + " needed to decide"));
        return verdict;
    }

    private Verdict add(double value, String comparison, String threshold, List<Double> limits, boolean ok, String detail) {
        verdict.record(new ClaimResult(s.name(), value, comparison, threshold, limits, ok ? Outcome.PASS : Outcome.FAIL,
                detail));
        return verdict;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
