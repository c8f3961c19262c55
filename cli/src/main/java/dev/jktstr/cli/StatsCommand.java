package dev.jktstr.cli;

import dev.jktstr.scenario.MetricRegistry;
import dev.jktstr.scenario.RegisteredMetric;
import dev.jktstr.scenario.ResultJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jktstr stats}: {@code compare A B} (metric deltas between two sets of run results), {@code merge DIR...}
 * (one gauntlet index from the results directories of its shards), {@code list DIR} (the runs found) and
 * {@code list-metrics} (the metric registry).
 */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Work with run result files.",
        subcommands = {StatsCommand.Compare.class, StatsCommand.Merge.class, StatsCommand.ListRuns.class,
                StatsCommand.ListMetrics.class})
public final class StatsCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = "Print each metric of A and B (result files or directories of them) and the change.")
    static final class Compare implements Runnable {
        @Parameters(index = "0", paramLabel = "A")
        Path a;

        @Parameters(index = "1", paramLabel = "B")
        Path b;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            out.print(compare(metrics(a), metrics(b)));
            out.flush();
        }
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = {"Merge the results directories of gauntlet shards (jktstr gauntlet --shard i/n) into one:"
                    + " OUT/index.json over every run, their result files copied to OUT/runs/.",
                    "A corrupt index or result file is named on stderr and skipped; the merge goes on. Exit code: 0,"
                            + " or 2 when no index could be read."})
    static final class Merge implements java.util.concurrent.Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "DIR", description = "Results directories (or their index.json).")
        List<Path> dirs;

        @picocli.CommandLine.Option(names = {"-o", "--output"}, paramLabel = "OUT", defaultValue = "jktstr-results/merged",
                description = "Merged results directory (default: ${DEFAULT-VALUE}).")
        Path out;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            PrintWriter stdout = spec.commandLine().getOut();
            var merged = dev.jktstr.scenario.gauntlet.GauntletMerge.merge(dirs, out, w -> {
                err.println("stats merge: " + dev.jktstr.machine.GuestText.line(w, 1000));
                err.flush();
            });
            if (merged.merged() == 0) {
                err.println("stats merge: no gauntlet index could be read from " + dirs);
                err.flush();
                return UserErrorHandler.USER_ERROR;
            }
            stdout.print(GauntletSummary.table(merged.index()));
            stdout.println("merged " + merged.index().runs().size() + " runs from " + merged.merged() + " of "
                    + dirs.size() + " directories" + (merged.problems().isEmpty() ? "" : ", " + merged.problems().size()
                    + " problem(s) above"));
            stdout.println("index: " + merged.indexFile().toAbsolutePath());
            stdout.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the runs found in DIR (result files, searched a few levels deep): scenario, scheduler, "
                    + "topology, outcome.")
    static final class ListRuns implements Runnable {
        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            out.print(listRuns(dir));
            out.flush();
        }
    }

    static String listRuns(Path dir) {
        List<Path> files = ResultFiles.of(dir, "stats list");
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-24s %-16s %-10s %-14s %-3s %s%n", "scenario",
                "scheduler", "topology", "outcome", "v", "file"));
        Path base = Files.isDirectory(dir) ? dir : dir.toAbsolutePath().getParent();
        for (Path f : files) {
            RunSummary r = RunSummary.read(f);
            sb.append(String.format(Locale.ROOT, "%-24s %-16s %-10s %-14s %-3s %s%n", t(r.scenario()), t(r.scheduler()),
                    t(r.topology()), t(r.outcome()), t(r.version()), base == null ? f : base.relativize(f)));
        }
        sb.append(files.size()).append(files.size() == 1 ? " run\n" : " runs\n");
        return sb.toString();
    }

    /** Strings from result files are data, not trusted text: one line, no control characters. */
    private static String t(String s) {
        return dev.jktstr.machine.GuestText.line(s, 200);
    }

    @Command(name = "list-metrics", mixinStandardHelpOptions = true,
            description = "List the registered metrics: name, unit, polarity, kind and the default regression gate "
                    + "(relative AND absolute: a change must pass both).")
    static final class ListMetrics implements Runnable {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            out.print(listMetrics());
            out.flush();
        }
    }

    static String listMetrics() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-22s %-8s %-17s %-19s %-16s %-5s %s%n", "metric",
                "unit", "polarity", "kind", "gate (rel, abs)", "host", "what it is"));
        for (RegisteredMetric m : MetricRegistry.all()) {
            String gate = m.polarity() == RegisteredMetric.Polarity.INFORMATIONAL ? "-"
                    : String.format(Locale.ROOT, "%.0f%%, %s", m.gate().relative() * 100,
                    PerfDeltaCommand.num(m.gate().absolute()));
            sb.append(String.format(Locale.ROOT, "%-22s %-8s %-17s %-19s %-16s %-5s %s%n", m.name(), m.unit(),
                    m.polarity().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    m.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'), gate, m.hostBound() ? "bound" : "-",
                    m.description()));
        }
        return sb.toString();
    }

    /** Metrics of a file, or averaged over the *.json files of a directory. */
    static Map<String, Double> metrics(Path p) {
        List<Path> files;
        if (Files.isDirectory(p)) {
            try (Stream<Path> s = Files.list(p)) {
                files = s.filter(f -> f.toString().endsWith(".json")).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("listing " + p + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) {
                throw new IllegalArgumentException("no *.json result files in " + p);
            }
        } else if (Files.isRegularFile(p)) {
            files = List.of(p);
        } else {
            throw new IllegalArgumentException("no result file or directory at " + p);
        }
        Map<String, double[]> sums = new TreeMap<>();
        for (Path f : files) {
            ResultJson.readMetrics(f).forEach((k, v) -> {
                double[] s = sums.computeIfAbsent(k, x -> new double[2]);
                s[0] += v;
                s[1]++;
            });
        }
        Map<String, Double> avg = new TreeMap<>();
        sums.forEach((k, s) -> avg.put(k, s[0] / s[1]));
        return avg;
    }

    static String compare(Map<String, Double> a, Map<String, Double> b) {
        StringBuilder sb = new StringBuilder(String.format("%-48s %14s %14s %14s %9s%n", "metric", "A", "B", "B-A", "change"));
        TreeSet<String> keys = new TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String k : keys) {
            Double x = a.get(k), y = b.get(k);
            String delta = x != null && y != null ? num(y - x) : "-";
            String pct = x != null && y != null && x != 0 ? String.format(Locale.ROOT, "%+.1f%%", (y - x) / Math.abs(x) * 100) : "-";
            sb.append(String.format("%-48s %14s %14s %14s %9s%n", k, x == null ? "-" : num(x), y == null ? "-" : num(y), delta, pct));
        }
        return sb.toString();
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e12 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.4g", v);
    }
}
