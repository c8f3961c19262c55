package dev.jktstr.cli.report;

import static dev.jktstr.cli.report.Html.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The matrix at the top of the report: a row per scenario × scheduler, a column per preset, each cell coloured by
 * its runs' outcomes and linking to each run's section (several runs share a cell when several kernels ran).
 */
final class MatrixGrid {
    private MatrixGrid() {
    }

    static String html(List<ReportRun> runs) {
        TreeSet<String> presets = new TreeSet<>();
        Map<String, Map<String, List<Integer>>> rows = new LinkedHashMap<>();
        boolean severalKernels = runs.stream().map(ReportRun::kernel).distinct().count() > 1;
        for (int i = 0; i < runs.size(); i++) {
            ReportRun r = runs.get(i);
            presets.add(r.preset());
            rows.computeIfAbsent(r.scenario() + "\u0000" + r.scheduler(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.preset(), k -> new ArrayList<>()).add(i);
        }
        StringBuilder b = new StringBuilder("<table class=\"matrix\"><tr><th>scenario</th><th>scheduler</th>");
        for (String p : presets) {
            b.append("<th>").append(text(p)).append("</th>");
        }
        b.append("</tr>\n");
        rows.forEach((key, cells) -> {
            String[] sc = key.split("\u0000", 2);
            b.append("<tr><th>").append(text(sc[0])).append("</th><th>").append(text(sc[1])).append("</th>");
            for (String p : presets) {
                List<Integer> ids = cells.get(p);
                if (ids == null) {
                    b.append("<td class=\"empty\"></td>");
                    continue;
                }
                b.append("<td class=\"o-").append(text(worst(runs, ids))).append("\">");
                for (int id : ids) {
                    ReportRun r = runs.get(id);
                    b.append("<a href=\"#").append(RunSection.anchor(id)).append("\" title=\"")
                            .append(text(r.reason() == null ? r.outcome() : r.outcome() + ": " + r.reason())).append("\">")
                            .append(text(r.outcome())).append(severalKernels ? " " + text(r.kernel()) : "").append("</a> ");
                }
                b.append("</td>");
            }
            b.append("</tr>\n");
        });
        return b.append("</table>\n").toString();
    }

    /** Outcome counts in the index's words: "3 PASS, 1 FAIL". */
    static String summary(List<ReportRun> runs) {
        Map<String, Integer> n = new LinkedHashMap<>();
        for (String o : List.of("PASS", "FAIL", "INCONCLUSIVE", "SKIP", "ERROR")) {
            n.put(o, 0);
        }
        runs.forEach(r -> n.merge(r.outcome(), 1, Integer::sum));
        StringBuilder b = new StringBuilder();
        n.forEach((o, c) -> {
            if (c > 0) {
                b.append(b.isEmpty() ? "" : ", ").append(c).append(' ').append(o);
            }
        });
        return b.isEmpty() ? "no runs" : b.toString();
    }

    private static String worst(List<ReportRun> runs, List<Integer> ids) {
        List<String> order = List.of("ERROR", "FAIL", "INCONCLUSIVE", "SKIP", "PASS");
        return ids.stream().map(i -> runs.get(i).outcome()).min((a, c) -> Integer.compare(rank(order, a), rank(order, c)))
                .orElse("SKIP");
    }

    private static int rank(List<String> order, String o) {
        int i = order.indexOf(o);
        return i < 0 ? 0 : i;
    }
}
