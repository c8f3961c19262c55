package dev.jktstr.scenario;

import dev.jktstr.machine.GuestText;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Claims about a run and their outcome: {@code v.claim(CgroupStats::maxGapMs, stats).atMost(100)}. Labels come from
 * code (the metric's method name, prefixed by the subject's {@link Labeled#label()}), never from free strings.
 * The outcome is {@link Outcome#SKIP} once skipped, else FAIL if any claim failed, else INCONCLUSIVE if a claim could
 * not be decided (a NaN value) or the run was marked so, else PASS. Not thread-safe.
 *
 * <p>Reasons, notes and details often quote the guest (a scheduler's exit message from kmsg, its output, a sysfs
 * value): each goes through {@link GuestText#line} on the way in, so the table, the reason and the result file hold no
 * control characters, and no guest text can start a line of its own (a forged "verdict: PASS").
 */
public final class Verdict {
    private final Assert thresholds;
    private final List<ClaimResult> claims = new DistinctClaimLabels();
    private final List<String> notes = new ArrayList<>();
    private String skipReason;
    private String inconclusiveReason;
    private String failReason;

    Verdict(Assert thresholds) {
        this.thresholds = thresholds;
    }

    public Assert thresholds() {
        return thresholds;
    }

    public <T> Claim claim(Metric<T> metric, T subject) {
        Objects.requireNonNull(subject, "subject");
        String label = prefix(subject) + Metric.labelOf(metric);
        return new Claim(label, metric.applyAsDouble(subject));
    }

    /** A claim about a set (for example the CPUs a cgroup used). */
    public <T, E> SetClaim<E> claimSet(SetMetric<T, E> metric, T subject) {
        return new SetClaim<>(prefix(subject) + Metric.labelOf(metric), metric.apply(subject));
    }

    /** A claim about a sequence of values (for example per-worker work units). */
    public <T> SeqClaim claimSeq(SeqMetric<T> metric, T subject) {
        return new SeqClaim(prefix(subject) + Metric.labelOf(metric), metric.apply(subject));
    }

    /** Temporal claims over {@code series}, labelled with its name ({@link SeriesClaim}). */
    public SeriesClaim claimOver(TimeSeries series) {
        return new SeriesClaim(this, series);
    }

    /** Adds a claim's result (for claim types kept in their own classes, {@link SeriesClaim}). */
    void record(ClaimResult c) {
        claims.add(c);
    }

    @FunctionalInterface
    public interface SetMetric<T, E> extends Function<T, Collection<E>>, java.io.Serializable {}

    @FunctionalInterface
    public interface SeqMetric<T> extends Function<T, List<Double>>, java.io.Serializable {}

    /** Longest reason, note or detail kept (guest text can be long: a scheduler's output). */
    static final int MAX_TEXT = 2000;

    public Verdict skip(String reason) {
        this.skipReason = clean(reason);
        return this;
    }

    public Verdict inconclusive(String reason) {
        this.inconclusiveReason = clean(reason);
        return this;
    }

    /** Fails the run for a reason outside any claim (the scheduler exited, the guest died). */
    public Verdict fail(String reason) {
        this.failReason = clean(reason);
        return this;
    }

    public Verdict note(String text) {
        notes.add(clean(text));
        return this;
    }

    /** One line, no control characters, at most {@link #MAX_TEXT}: text here may come from the guest. */
    static String clean(String text) {
        return text == null ? null : GuestText.line(text, MAX_TEXT);
    }

    public List<ClaimResult> claims() {
        return List.copyOf(claims);
    }

    public List<String> notes() {
        return List.copyOf(notes);
    }

    public List<ClaimResult> failures() {
        return claims.stream().filter(c -> c.outcome() == Outcome.FAIL).toList();
    }

    /** Why the run did not pass, or "" when it did. */
    public String reason() {
        if (skipReason != null) {
            return skipReason;
        }
        if (failReason != null) {
            return failReason;
        }
        List<ClaimResult> f = failures();
        if (!f.isEmpty()) {
            return f.size() + " claim(s) failed: " + String.join("; ", f.stream().map(c -> c.label() + " = "
                    + (Double.isNaN(c.value()) ? c.detail() : fmt(c.value())) + ", wanted " + c.comparison() + " " + c.threshold()).toList());
        }
        if (inconclusiveReason != null) {
            return inconclusiveReason;
        }
        return claims.stream().filter(c -> c.outcome() == Outcome.INCONCLUSIVE).findFirst()
                .map(c -> c.label() + " could not be decided" + (c.detail().isEmpty() ? "" : ": " + c.detail())).orElse("");
    }

    public Outcome outcome() {
        if (skipReason != null) {
            return Outcome.SKIP;
        }
        if (failReason != null || claims.stream().anyMatch(c -> c.outcome() == Outcome.FAIL)) {
            return Outcome.FAIL;
        }
        if (inconclusiveReason != null || claims.stream().anyMatch(c -> c.outcome() == Outcome.INCONCLUSIVE)) {
            return Outcome.INCONCLUSIVE;
        }
        return Outcome.PASS;
    }

    public boolean passed() {
        return outcome() == Outcome.PASS;
    }

    /** A fixed-width table of every claim and the outcome. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-40s %-12s %s%n", "claim", "value", "wanted"));
        claims.forEach(c -> sb.append(c).append('\n'));
        notes.forEach(n -> sb.append("note: ").append(n).append('\n'));
        sb.append("verdict: ").append(outcome());
        String r = reason();
        if (!r.isEmpty()) {
            sb.append(" — ").append(r);
        }
        return sb.append('\n').toString();
    }

    @Override
    public String toString() {
        return outcome() + (reason().isEmpty() ? "" : ": " + reason());
    }

    private static String prefix(Object subject) {
        return subject instanceof Labeled l ? l.label() + "." : "";
    }

    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.valueOf((long) v);
        }
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private void record(String label, double value, String cmp, String threshold, String detail, boolean holds,
            double... limits) {
        Outcome o = Double.isNaN(value) && !cmp.equals("is finite") ? Outcome.INCONCLUSIVE : holds ? Outcome.PASS : Outcome.FAIL;
        claims.add(new ClaimResult(label, value, cmp, threshold, java.util.Arrays.stream(limits).boxed().toList(), o, detail));
    }

    /** A numeric claim waiting for its comparator. */
    public final class Claim {
        private final String label;
        private final double value;
        private String detail = "";
        private String excuse;

        private Claim(String label, double value) {
            this.label = label;
            this.value = value;
        }

        /** Says what was seen, for the table and the result file (why a value is NaN, for instance). */
        public Claim detail(String text) {
            this.detail = text == null ? "" : clean(text);
            return this;
        }

        /**
         * Records the claim as not applicable to this run ({@link Outcome#SKIP}, with the reason): it shows in the
         * table and the result file but does not change the run's outcome.
         */
        public Verdict skip(String reason) {
            claims.add(new ClaimResult(label, value, "skipped", "", List.of(), Outcome.SKIP, reason));
            return Verdict.this;
        }

        /**
         * Says why a failing comparison would not be the subject's fault (the host did not run the vCPU): if the
         * comparison fails, the claim is {@link Outcome#INCONCLUSIVE} with this reason after the detail, its value
         * kept; if it holds, PASS as usual.
         */
        public Claim inconclusiveIfFails(String reason) {
            this.excuse = reason == null ? null : clean(reason);
            return this;
        }

        private void record(String cmp, String threshold, boolean holds, double... limits) {
            if (!holds && excuse != null && !Double.isNaN(value)) {
                claims.add(new ClaimResult(label, value, cmp, threshold, java.util.Arrays.stream(limits).boxed().toList(),
                        Outcome.INCONCLUSIVE, clean(detail.isEmpty() ? excuse : detail + "; " + excuse)));
                return;
            }
            Verdict.this.record(label, value, cmp, threshold, detail, holds, limits);
        }

        public Verdict eq(double x) {
            record("==", fmt(x), value == x, x);
            return Verdict.this;
        }

        public Verdict ne(double x) {
            record("!=", fmt(x), value != x, x);
            return Verdict.this;
        }

        public Verdict atLeast(double x) {
            record(">=", fmt(x), value >= x, x);
            return Verdict.this;
        }

        public Verdict atMost(double x) {
            record("<=", fmt(x), value <= x, x);
            return Verdict.this;
        }

        public Verdict lt(double x) {
            record("<", fmt(x), value < x, x);
            return Verdict.this;
        }

        public Verdict gt(double x) {
            record(">", fmt(x), value > x, x);
            return Verdict.this;
        }

        public Verdict between(double lo, double hi) {
            record("in", "[" + fmt(lo) + ", " + fmt(hi) + "]", value >= lo && value <= hi, lo, hi);
            return Verdict.this;
        }

        public Verdict isFinite() {
            record("is finite", "", Double.isFinite(value));
            return Verdict.this;
        }

        /** Within {@code tolerance} of {@code target}. */
        public Verdict near(double target, double tolerance) {
            record("≈", fmt(target) + " ± " + fmt(tolerance), Math.abs(value - target) <= tolerance, target, tolerance);
            return Verdict.this;
        }
    }

    /** A claim about a set. */
    public final class SetClaim<E> {
        private final String label;
        private final List<E> seen;

        private SetClaim(String label, Collection<E> seen) {
            this.label = label;
            this.seen = List.copyOf(seen);
        }

        public Verdict subsetOf(Collection<? extends E> allowed) {
            List<E> outside = seen.stream().filter(e -> !allowed.contains(e)).distinct().toList();
            claims.add(new ClaimResult(label, Double.NaN, "⊆", allowed.toString(), List.of(), outside.isEmpty() ? Outcome.PASS : Outcome.FAIL,
                    outside.isEmpty() ? "" : "outside: " + outside));
            return Verdict.this;
        }

        public Verdict containsAll(Collection<? extends E> required) {
            List<? extends E> missing = required.stream().filter(e -> !seen.contains(e)).toList();
            claims.add(new ClaimResult(label, Double.NaN, "⊇", required.toString(), List.of(), missing.isEmpty() ? Outcome.PASS : Outcome.FAIL,
                    missing.isEmpty() ? "" : "missing: " + missing));
            return Verdict.this;
        }

        public Verdict isEmpty() {
            claims.add(new ClaimResult(label, Double.NaN, "is", "empty", List.of(), seen.isEmpty() ? Outcome.PASS : Outcome.FAIL,
                    seen.isEmpty() ? "" : "holds " + seen));
            return Verdict.this;
        }
    }

    /** A claim about a sequence. */
    public final class SeqClaim {
        private final String label;
        private final List<Double> values;

        private SeqClaim(String label, List<Double> values) {
            this.label = label;
            this.values = List.copyOf(values);
        }

        public Verdict nonDecreasing() {
            int bad = -1;
            for (int i = 1; i < values.size() && bad < 0; i++) {
                if (values.get(i) < values.get(i - 1)) {
                    bad = i;
                }
            }
            claims.add(new ClaimResult(label, Double.NaN, "is", "non-decreasing", List.of(), bad < 0 ? Outcome.PASS : Outcome.FAIL,
                    bad < 0 ? "" : "drops at index " + bad + ": " + values));
            return Verdict.this;
        }

        public Verdict allAtMost(double x) {
            List<Double> over = values.stream().filter(v -> !(v <= x)).toList();
            claims.add(new ClaimResult(label, Double.NaN, "all <=", fmt(x), List.of(x), over.isEmpty() ? Outcome.PASS : Outcome.FAIL,
                    over.isEmpty() ? "" : "over: " + over));
            return Verdict.this;
        }

        public Verdict allAtLeast(double x) {
            List<Double> under = values.stream().filter(v -> !(v >= x)).toList();
            claims.add(new ClaimResult(label, Double.NaN, "all >=", fmt(x), List.of(x), under.isEmpty() ? Outcome.PASS : Outcome.FAIL,
                    under.isEmpty() ? "" : "under: " + under));
            return Verdict.this;
        }
    }
}
