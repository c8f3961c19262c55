package dev.jktstr.cli.report;

import dev.jktstr.cli.JsonTree;
import java.util.Comparator;

/**
 * One run of the matrix as the report shows it: its place (scenario, scheduler, preset, kernel), outcome and reason,
 * from the index or from its result file, and the result file's content when there is one.
 *
 * @param resultPath the result file as the index names it (or as found), null when there is none (SKIP, ERROR)
 * @param wallMs     how long the run took, null when unknown
 * @param result     the result file read as a tree, null when there is none or it could not be read
 * @param problem    why the result file could not be read, null when it was (or there is none to read)
 * @param dumpPath   the failure dump beside the result file ({@code <result>.failure-dump.json}), null when none
 * @param dump       that dump read as a tree, null when there is none or it could not be read
 */
record ReportRun(String scenario, String scheduler, String preset, String kernel, String outcome, String reason,
        String resultPath, Long wallMs, Object result, String problem, String dumpPath, Object dump) {

    /** The index's order: (scenario, scheduler, preset, kernel). */
    static final Comparator<ReportRun> ORDER = Comparator.comparing(ReportRun::scenario)
            .thenComparing(ReportRun::scheduler).thenComparing(ReportRun::preset).thenComparing(ReportRun::kernel);

    ReportRun {
        scenario = orUnknown(scenario);
        scheduler = orUnknown(scheduler);
        preset = orUnknown(preset);
        kernel = orUnknown(kernel);
        outcome = outcome == null ? "ERROR" : outcome;
    }

    private static String orUnknown(String s) {
        return s == null || s.isBlank() ? "?" : s;
    }

    /** The same run with its result file read (or the reason it could not be). */
    ReportRun withResult(Object tree, String why) {
        return new ReportRun(scenario, scheduler, preset, kernel, outcome, reason, resultPath, wallMs, tree, why, dumpPath,
                dump);
    }

    /** The same run with its failure dump ({@code path} relative to the results directory). */
    ReportRun withDump(String path, Object tree) {
        return new ReportRun(scenario, scheduler, preset, kernel, outcome, reason, resultPath, wallMs, result, problem, path,
                tree);
    }

    /** A run known only from its result file (no index): identity, outcome and reason from the file. */
    static ReportRun fromResult(String path, Object r) {
        String topo = JsonTree.at(r, "topology") == null ? null
                : fmt(JsonTree.num(r, "topology", "numaNodes")) + "," + fmt(JsonTree.num(r, "topology", "llcsPerNode"))
                + "," + fmt(JsonTree.num(r, "topology", "coresPerLlc")) + "," + fmt(JsonTree.num(r, "topology", "threadsPerCore"));
        Double ms = JsonTree.num(r, "elapsedMs");
        return new ReportRun(JsonTree.str(r, "scenario"), JsonTree.str(r, "scheduler", "name"), topo,
                JsonTree.str(r, "kernel", "release"), JsonTree.str(r, "verdict", "outcome"), JsonTree.str(r, "verdict", "reason"),
                path, ms == null || ms.isNaN() ? null : ms.longValue(), r, null, null, null);
    }

    private static String fmt(Double d) {
        return d == null ? "?" : Html.number(d);
    }
}
