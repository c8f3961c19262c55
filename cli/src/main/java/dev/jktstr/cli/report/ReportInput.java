package dev.jktstr.cli.report;

import dev.jktstr.cli.JsonTree;
import dev.jktstr.scenario.FailureEvidence;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a report is made of: the runs of a results directory, from its {@code index.json} (written by
 * {@code jktstr gauntlet} and {@code stats merge}) or, without one, from the result files found in it; and a warning
 * per file that could not be used (named in the page and on stderr, never fatal).
 *
 * @param indexMeta the index's {@code jktstr}, {@code created} and {@code shard}, empty without an index
 */
record ReportInput(Path dir, List<ReportRun> runs, List<String> warnings, Map<String, Object> indexMeta) {
    static final String INDEX = "index.json";
    static final String INDEX_KIND = "jktstr-gauntlet-index";
    /** How deep the scan looks below the directory (a gauntlet may file results per preset). */
    private static final int SCAN_DEPTH = 4;
    /** Result files read at most (a report of more would not open in a browser anyway). */
    static final int MAX_RUNS = 5_000;

    ReportInput {
        runs = List.copyOf(runs);
        warnings = List.copyOf(warnings);
        indexMeta = Map.copyOf(indexMeta);
    }

    /** Reads {@code dir}; {@link IllegalArgumentException} (the CLI's exit 2) when it is not a readable directory. */
    static ReportInput load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no results directory at " + dir
                    + " (give the directory jktstr run or jktstr gauntlet wrote its result files to)");
        }
        Path index = dir.resolve(INDEX);
        List<String> warnings = new ArrayList<>();
        if (Files.isRegularFile(index)) {
            try {
                return fromIndex(dir, JsonTree.read(index), warnings);
            } catch (IOException | RuntimeException e) {
                warnings.add(INDEX + ": unreadable (" + oneLine(e) + "); the runs were found by scanning instead");
            }
        }
        return scan(dir, warnings);
    }

    private static ReportInput fromIndex(Path dir, Object index, List<String> warnings) throws IOException {
        if (!INDEX_KIND.equals(JsonTree.str(index, "kind"))) {
            throw new IOException("its kind is not " + INDEX_KIND);
        }
        Double version = JsonTree.num(index, "version");
        if (version == null || version != 1) {
            throw new IOException("index version " + JsonTree.str(index, "version") + ", this jktstr reads 1");
        }
        List<ReportRun> runs = new ArrayList<>();
        Path root = dir.toAbsolutePath().normalize();
        for (Object r : JsonTree.list(index, "runs")) {
            if (runs.size() >= MAX_RUNS) {
                warnings.add(INDEX + ": more than " + MAX_RUNS + " runs; the rest are left out");
                break;
            }
            Double wall = JsonTree.num(r, "wallMs");
            ReportRun run = new ReportRun(JsonTree.str(r, "scenario"), JsonTree.str(r, "scheduler"),
                    JsonTree.str(r, "preset"), JsonTree.str(r, "kernel"), JsonTree.str(r, "outcome"),
                    JsonTree.str(r, "reason"), JsonTree.str(r, "result"),
                    wall == null || wall.isNaN() ? null : wall.longValue(), null, null, null, null);
            if (run.resultPath() != null) {
                Path f = root.resolve(run.resultPath()).normalize();
                if (!f.startsWith(root)) {
                    String why = "outside the results directory";
                    warnings.add(run.resultPath() + ": " + why);
                    run = run.withResult(null, why);
                } else {
                    run = readInto(run, f, run.resultPath(), warnings);
                }
            }
            runs.add(run);
        }
        runs.sort(ReportRun.ORDER);
        Map<String, Object> meta = new java.util.LinkedHashMap<>();
        for (String k : List.of("jktstr", "created", "shard")) {
            Object v = JsonTree.at(index, k);
            if (v != null) {
                meta.put(k, v);
            }
        }
        return new ReportInput(dir, runs, warnings, meta);
    }

    private static ReportRun readInto(ReportRun run, Path f, String name, List<String> warnings) {
        try {
            Object tree = JsonTree.read(f);
            String bad = notAResult(tree);
            if (bad != null) {
                warnings.add(name + ": " + bad);
                return run.withResult(null, bad);
            }
            return withDump(run.withResult(tree, null), f, name, warnings);
        } catch (java.nio.file.NoSuchFileException e) {
            String why = "missing (the index names it, the directory has no such file)";
            warnings.add(name + ": " + why);
            return run.withResult(null, why);
        } catch (IOException | RuntimeException e) {
            String why = "unreadable (" + oneLine(e) + ")";
            warnings.add(name + ": " + why);
            return run.withResult(null, why);
        }
    }

    /** The run with the failure dump that sits beside its result file {@code f}, when there is one. */
    private static ReportRun withDump(ReportRun run, Path f, String name, List<String> warnings) {
        Path dump = FailureEvidence.dumpPathFor(f);
        if (!Files.isRegularFile(dump)) {
            return run;
        }
        String href = name.substring(0, name.length() - f.getFileName().toString().length()) + dump.getFileName();
        try {
            return run.withDump(href, JsonTree.read(dump));
        } catch (IOException | RuntimeException e) {
            warnings.add(href + ": unreadable failure dump (" + oneLine(e) + ")");
            return run.withDump(href, null);
        }
    }

    private static ReportInput scan(Path dir, List<String> warnings) {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir, SCAN_DEPTH)) {
            files = s.filter(Files::isRegularFile).filter(ReportInput::isResultName).sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("cannot list " + dir + ": " + oneLine(e), e);
        }
        List<ReportRun> runs = new ArrayList<>();
        for (Path f : files) {
            if (runs.size() >= MAX_RUNS) {
                warnings.add("more than " + MAX_RUNS + " result files; the rest are left out");
                break;
            }
            String name = dir.relativize(f).toString();
            try {
                Object tree = JsonTree.read(f);
                String bad = notAResult(tree);
                if (bad != null) {
                    warnings.add(name + ": " + bad);
                    continue;
                }
                runs.add(withDump(ReportRun.fromResult(name, tree), f, name, warnings));
            } catch (IOException | RuntimeException e) {
                warnings.add(name + ": unreadable (" + oneLine(e) + ")");
            }
        }
        runs.sort(ReportRun.ORDER);
        return new ReportInput(dir, runs, warnings, Map.of());
    }

    /** Result files: {@code *.json}, not the index and not a failure dump (those sit beside results). */
    static boolean isResultName(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".json") && !n.equals(INDEX) && !n.endsWith(".failure-dump.json");
    }

    /** Why {@code tree} is not a jktstr result this report can show, or null when it is one. */
    private static String notAResult(Object tree) {
        if (!(tree instanceof Map)) {
            return "not a jktstr result (not a JSON object)";
        }
        Double v = JsonTree.num(tree, "version");
        if (v == null || JsonTree.at(tree, "verdict") == null) {
            return "not a jktstr result (no version or verdict)";
        }
        if (v < 1 || v > 2) {
            return "result format version " + Html.number(v) + ", this jktstr reads 1 to 2";
        }
        return null;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
