package dev.jktstr.cli;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.scenario.Outcome;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code jktstr run}'s runs over several {@code --kernel}s: each result file's name carries the kernel's release and
 * config hash (so a directory of them tells the kernels apart, and two builds of one release too), names never
 * collide within the command, and the exit code is the worst outcome.
 */
final class KernelRuns {

    /** Worst first: a failure anywhere fails the command. */
    private static final List<Outcome> SEVERITY = List.of(Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.SKIP, Outcome.PASS);

    private final boolean labelled;
    private final Set<Path> used = new HashSet<>();
    private final List<String> summary = new ArrayList<>();
    private Path lastFile;
    private Outcome worst = Outcome.PASS;

    KernelRuns(boolean labelled) {
        this.labelled = labelled;
    }

    /** The label a result file of {@code kernel} gets: release and config hash, safe in a file name. */
    static String label(String release, KernelImage kernel) {
        return safe(release) + "-" + kernel.configHash().orElse("noconfig");
    }

    /**
     * Where a result goes: {@code output} (or {@code jktstr-results/<stem>-<time>.json}) as before when one kernel
     * runs; with several, the kernel's label is added ({@code -<release>-<configHash>} before {@code .json}, or before
     * the time), and a name already used by this command gets {@code -2}, {@code -3}, ...
     */
    Path resultFile(Path output, String stem, String time, String release, KernelImage kernel) {
        Path file;
        if (!labelled) {
            file = output != null ? output : Path.of("jktstr-results", stem + "-" + time + ".json");
        } else if (output != null) {
            String name = output.getFileName().toString();
            int dot = name.lastIndexOf('.');
            String base = dot > 0 ? name.substring(0, dot) : name;
            String ext = dot > 0 ? name.substring(dot) : "";
            file = output.resolveSibling(base + "-" + label(release, kernel) + ext);
        } else {
            file = Path.of("jktstr-results", stem + "-" + label(release, kernel) + "-" + time + ".json");
        }
        Path unique = file;
        for (int n = 2; used.contains(unique.toAbsolutePath()); n++) {
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            unique = file.resolveSibling(dot > 0 ? name.substring(0, dot) + "-" + n + name.substring(dot) : name + "-" + n);
        }
        used.add(unique.toAbsolutePath());
        return unique;
    }

    void recordFile(Path file) {
        lastFile = file;
    }

    void add(KernelImage kernel, Outcome outcome) {
        if (SEVERITY.indexOf(outcome) < SEVERITY.indexOf(worst)) {
            worst = outcome;
        }
        summary.add(String.format("  %-12s %s%s", outcome, kernel.origin(),
                lastFile != null ? " -> " + lastFile.toAbsolutePath() : " (no result)"));
        lastFile = null;
    }

    Outcome worst() {
        return worst;
    }

    /** With several kernels, one line per kernel after the last verdict. */
    void printSummary(PrintWriter out) {
        if (labelled) {
            out.println("kernels: " + summary.size() + ", worst outcome " + worst);
            summary.forEach(out::println);
            out.flush();
        }
    }

    private static String safe(String s) {
        String clean = s == null ? "" : s.replaceAll("[^A-Za-z0-9._+-]", "_");
        return clean.isEmpty() ? "unknown" : clean;
    }
}
