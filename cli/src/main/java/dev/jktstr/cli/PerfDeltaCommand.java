package dev.jktstr.cli;

import dev.jktstr.machine.GuestText;
import dev.jktstr.scenario.RegisteredMetric;
import dev.jktstr.scenario.ResultJson;
import dev.jktstr.scenario.ScenarioException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jktstr perf-delta BASELINE CANDIDATE}: per metric, each side's median and spread over its runs, the change
 * and a verdict from the metric registry's polarity and gate (noise-aware: see {@link PerfDelta}). Exit 1 when a
 * metric regressed past its gate, 0 otherwise, 2 on bad input (a missing path, a result file this jktstr cannot read).
 */
@Command(name = "perf-delta", mixinStandardHelpOptions = true,
        description = {"Compare a candidate's runs against a baseline's, metric by metric (median and spread over the "
                + "runs of each side), with each metric's registered polarity and gate (jktstr stats list-metrics).",
                "Exit 1 on a regression past a gate; a change not larger than the runs' spread is reported NOISY, "
                + "without a verdict."})
public final class PerfDeltaCommand implements Callable<Integer> {
    static final int REGRESSED = 1;

    @Parameters(index = "0", paramLabel = "BASELINE", description = "A result file, or a directory of result files.")
    Path baseline;

    @Parameters(index = "1", paramLabel = "CANDIDATE", description = "A result file, or a directory of result files.")
    Path candidate;

    @Option(names = "--all", description = "Also list metrics within their gates (default: only those that changed "
            + "past a gate, were noisy, or are unregistered or missing on one side).")
    boolean all;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Side base = read(baseline, "baseline");
        Side cand = read(candidate, "candidate");
        PerfDelta.HostSides host = PerfDelta.HostSides.of(base.interference(), cand.interference());
        List<PerfDelta.Row> rows = PerfDelta.compare(base.metrics(), cand.metrics(), host);
        PrintWriter out = spec.commandLine().getOut();
        out.print(table(rows, all));
        out.print(hostLine(host));
        out.flush();
        return rows.stream().anyMatch(r -> r.verdict() == PerfDelta.Verdict.REGRESSION) ? REGRESSED : 0;
    }

    /**
     * One side: every metric of every run under {@code path}, by key, and each run's host interference (held back plus
     * stolen, NaN where the file does not say), from one read of each file; a file this jktstr cannot read is named
     * and refused.
     */
    record Side(Map<String, List<Double>> metrics, List<Double> interference) {}

    static Side read(Path path, String role) {
        Map<String, List<Double>> values = new TreeMap<>();
        List<Double> interference = new ArrayList<>();
        for (Path f : ResultFiles.of(path, role)) {
            ResultJson.RunFigures r;
            try {
                r = ResultJson.readFigures(f);
            } catch (ScenarioException e) {
                throw new IllegalArgumentException(role + " result refused: " + e.getMessage(), e);
            }
            r.metrics().forEach((k, v) -> {
                if (Double.isFinite(v)) {
                    values.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
                }
            });
            interference.add(r.interference().total().orElse(Double.NaN));
        }
        return new Side(values, interference);
    }

    /** What the host took from each side, and what that did to the verdicts. */
    static String hostLine(PerfDelta.HostSides host) {
        if (!Double.isFinite(host.baseline()) || !Double.isFinite(host.candidate())) {
            return "host: not known for both sides (result files without host interference): changes are judged "
                    + "as if the host had treated both alike\n";
        }
        return String.format(Locale.ROOT, "host: took %.0f%% of the vCPUs' time in the baseline's runs, %.0f%% in the "
                        + "candidate's (median, held back + stolen)%s%n", host.baseline() * 100, host.candidate() * 100,
                host.differ() ? String.format(Locale.ROOT, ": more than %.0f points apart, so changes in host-bound "
                        + "metrics that this could explain get no verdict (HOST); rerun both sides on a quieter host",
                        PerfDelta.HOST_GATE * 100)
                        : "");
    }

    static String table(List<PerfDelta.Row> rows, boolean all) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-44s %-8s %20s %20s %12s %8s  %s%n",
                "metric", "unit", "baseline (±spread)", "candidate (±spread)", "change", "%", "verdict"));
        int[] counts = new int[PerfDelta.Verdict.values().length];
        for (PerfDelta.Row r : rows) {
            counts[r.verdict().ordinal()]++;
            if (!all && (r.verdict() == PerfDelta.Verdict.OK || r.verdict() == PerfDelta.Verdict.INFO)) {
                continue;
            }
            String unit = r.metric().map(RegisteredMetric::unit).orElse("?");
            boolean both = r.baseline() != null && r.candidate() != null;
            String pct = both && r.baseline().median() != 0
                    ? String.format(Locale.ROOT, "%+.1f%%", r.change() / Math.abs(r.baseline().median()) * 100) : "-";
            sb.append(String.format(Locale.ROOT, "%-44s %-8s %20s %20s %12s %8s  %s%n",
                    GuestText.line(r.key(), 200), unit, side(r.baseline()), side(r.candidate()),
                    both ? signed(r.change()) : "-", pct, r.verdict()));
        }
        sb.append(String.format(Locale.ROOT, "%d metrics: %d regressed, %d improved, %d within gates, %d noisy (no "
                        + "verdict), %d host-bound on unlike hosts (no verdict), %d informational, %d unregistered, %d on "
                        + "one side only%n", rows.size(),
                counts[PerfDelta.Verdict.REGRESSION.ordinal()], counts[PerfDelta.Verdict.IMPROVED.ordinal()],
                counts[PerfDelta.Verdict.OK.ordinal()], counts[PerfDelta.Verdict.NOISY.ordinal()],
                counts[PerfDelta.Verdict.HOST.ordinal()],
                counts[PerfDelta.Verdict.INFO.ordinal()], counts[PerfDelta.Verdict.UNREGISTERED.ordinal()],
                counts[PerfDelta.Verdict.MISSING.ordinal()]));
        return sb.toString();
    }

    private static String side(MetricSpread s) {
        return s == null ? "-" : num(s.median()) + " ±" + num(s.spread()) + " (" + s.runs() + ")";
    }

    private static String signed(double v) {
        return (v > 0 ? "+" : "") + num(v);
    }

    /** Four significant digits, plain where that stays short (0.0002, 33333, 1.5e+12). */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            return String.valueOf(v);
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e12) {
            return String.valueOf((long) v);
        }
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e12) {
            return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, "%.3e", v);
    }
}
