package dev.jktstr.cli.report;

import dev.jktstr.cli.JsonTree;
import static dev.jktstr.cli.report.Html.text;

import java.util.List;
import java.util.Map;

/**
 * One run's section of the report: identity and host, the failure evidence first when it did not pass (the
 * scheduler's exit, the verdict's reason with its kmsg lines, the failing claims), the verdict table, the charts,
 * the scheduler timeline, the scenario as it ran and the notes. Every string from the result is escaped.
 */
final class RunSection {
    private RunSection() {
    }

    static String anchor(int i) {
        return "run-" + i;
    }

    /** The section's HTML; {@code charts} counts the chart canvases it holds (the page checks they all drew). */
    static String html(int i, ReportRun run, int[] charts) {
        StringBuilder b = new StringBuilder(8192);
        b.append("<section class=\"run\" id=\"").append(anchor(i)).append("\">\n<h2><span class=\"badge o-")
                .append(text(run.outcome())).append("\">").append(text(run.outcome())).append("</span> ")
                .append(text(run.scenario())).append(" · ").append(text(run.scheduler())).append(" · ")
                .append(text(run.preset())).append(" · ").append(text(run.kernel())).append("</h2>\n");
        if (run.reason() != null && !run.reason().isBlank()) {
            b.append("<p class=\"reason\">").append(text(run.reason())).append("</p>\n");
        }
        Object r = run.result();
        b.append("<table class=\"meta\">");
        row(b, "result file", run.resultPath() == null ? "none" : run.resultPath());
        row(b, "wall time", run.wallMs() == null ? "" : run.wallMs() + " ms");
        if (run.problem() != null) {
            row(b, "problem", run.problem());
        }
        if (r != null) {
            row(b, "format version", Html.number(JsonTree.num(r, "version")));
            row(b, "started", JsonTree.str(r, "started"));
            row(b, "backend", JsonTree.str(r, "backend"));
            row(b, "scheduler state", JsonTree.str(r, "scheduler", "schedExtState"));
            row(b, "schedulers in charge", String.join(" → ", strings(JsonTree.list(r, "scheduler", "ran"))));
            if (JsonTree.at(r, "host") instanceof Map) {
                row(b, "host", Html.number(JsonTree.num(r, "host", "cores")) + " cores, load "
                        + Html.number(JsonTree.num(r, "host", "loadAverage1m")) + ", kvm " + JsonTree.str(r, "host", "kvm"));
            }
            if (JsonTree.at(r, "jktstr") instanceof Map) {
                row(b, "jktstr", JsonTree.str(r, "jktstr", "version") + " (" + JsonTree.str(r, "jktstr", "commit") + ")");
            }
        }
        b.append("</table>\n");
        if (r == null) {
            return b.append("</section>\n").toString();
        }
        if (!"PASS".equals(run.outcome())) {
            failure(b, r);
            dump(b, run);
        }
        verdict(b, r);
        ChartData data = new ChartData(r);
        b.append("<h3>Charts</h3>\n");
        if (data.charts().isEmpty()) {
            b.append("<p class=\"none\">no series or workers in this result</p>\n");
        }
        if (JsonTree.list(r, "series", "monitor", "atMs").isEmpty()) {
            b.append("<p class=\"none\">no monitor samples in this result")
                    .append(Double.valueOf(1).equals(JsonTree.num(r, "version")) ? " (format version 1 keeps none)" : "")
                    .append("</p>\n");
        }
        String dataId = "data-" + i;
        b.append("<div class=\"charts\">\n");
        for (ChartData.Chart c : data.charts()) {
            charts[0]++;
            b.append("<figure><figcaption>").append(text(c.title())).append("</figcaption><canvas width=\"640\" height=\"260\" data-src=\"")
                    .append(dataId).append("\" data-chart=\"").append(c.id()).append("\" data-type=\"").append(c.type())
                    .append("\" data-ytitle=\"").append(text(c.yTitle())).append("\"></canvas></figure>\n");
        }
        b.append("</div>\n<script type=\"application/json\" id=\"").append(dataId).append("\">")
                .append(data.scriptJson()).append("</script>\n");
        timeline(b, r);
        definition(b, r);
        List<?> notes = JsonTree.list(r, "verdict", "notes");
        if (!notes.isEmpty()) {
            b.append("<h3>Notes</h3>\n<pre class=\"notes\">");
            for (Object n : notes) {
                b.append(text(n)).append('\n');
            }
            b.append("</pre>\n");
        }
        return b.append("</section>\n").toString();
    }

    /** The evidence of a failure: the scheduler's exit (kmsg), the reason, the claims that did not pass. */
    private static void failure(StringBuilder b, Object r) {
        b.append("<div class=\"failure\"><h3>Failure</h3>\n");
        String exit = JsonTree.str(r, "scheduler", "exitReason");
        if (exit != null) {
            b.append("<p>scheduler exit (kernel log):</p><pre class=\"kmsg\">").append(text(exit)).append("</pre>\n");
        }
        String reason = JsonTree.str(r, "verdict", "reason");
        if (reason != null && !reason.isBlank()) {
            b.append("<p>verdict:</p><pre class=\"kmsg\">").append(text(reason)).append("</pre>\n");
        }
        for (Object n : JsonTree.list(r, "verdict", "notes")) {
            String s = String.valueOf(n);
            if (s.contains("kmsg") || s.contains("sched_ext:") || s.contains("BUG") || s.contains("scx_")) {
                b.append("<pre class=\"kmsg\">").append(text(s)).append("</pre>\n");
            }
        }
        b.append("</div>\n");
    }

    /** The failure dump's link and what it says of the scheduler's exit, its stack and the end of the kernel log. */
    private static void dump(StringBuilder b, ReportRun run) {
        if (run.dumpPath() == null) {
            return;
        }
        b.append("<div class=\"failure\"><h3>Failure dump</h3>\n<p><a href=\"").append(text(run.dumpPath())).append("\">")
                .append(text(run.dumpPath())).append("</a> (<code>jktstr dump show</code> prints it)</p>\n");
        Object d = run.dump();
        if (d == null) {
            b.append("<p class=\"none\">the dump could not be read</p></div>\n");
            return;
        }
        b.append("<table class=\"meta\">");
        row(b, "exit", JsonTree.str(d, "schedulerExit", "kindName") + " (" + JsonTree.str(d, "schedulerExit", "reason") + ")");
        row(b, "error", JsonTree.str(d, "schedulerExit", "message"));
        Double cpu = JsonTree.num(d, "schedulerExit", "cpu");
        row(b, "where", JsonTree.str(d, "schedulerExit", "task") + (cpu == null ? "" : " on CPU " + Html.number(cpu)));
        row(b, "flight recorder", JsonTree.list(d, "flightRecorder", "snapshots").size() + " snapshot(s)");
        row(b, "vCPU registers", JsonTree.list(d, "vcpus").size() + " CPU(s)");
        b.append("</table>\n");
        List<?> frames = JsonTree.list(d, "schedulerExit", "backtrace");
        if (!frames.isEmpty()) {
            b.append("<p>stack of the exit:</p><pre class=\"kmsg\">");
            frames.stream().limit(16).forEach(f -> b.append(text(f)).append('\n'));
            b.append("</pre>\n");
        }
        List<?> kmsg = JsonTree.list(d, "kmsg", "records");
        if (!kmsg.isEmpty()) {
            b.append("<p>kernel log, the last ").append(Math.min(40, kmsg.size())).append(" of ").append(kmsg.size())
                    .append(" records:</p><pre class=\"kmsg\">");
            for (Object k : kmsg.subList(Math.max(0, kmsg.size() - 40), kmsg.size())) {
                b.append(text(JsonTree.str(k, "text"))).append('\n');
            }
            b.append("</pre>\n");
        }
        b.append("</div>\n");
    }

    private static void verdict(StringBuilder b, Object r) {
        List<?> claims = JsonTree.list(r, "verdict", "claims");
        b.append("<h3>Verdict</h3>\n<table class=\"verdict\"><tr><th>claim</th><th>value</th><th>wanted</th><th>outcome</th><th>detail</th></tr>\n");
        for (Object c : claims) {
            String o = JsonTree.str(c, "outcome");
            Object v = JsonTree.at(c, "value");
            b.append("<tr><td>").append(text(JsonTree.str(c, "label"))).append("</td><td class=\"num\">")
                    .append(v instanceof Number ? Html.number(((Number) v).doubleValue()) : v == null ? "null" : text(v))
                    .append("</td><td>").append(text(JsonTree.str(c, "comparison"))).append(' ')
                    .append(text(JsonTree.str(c, "threshold"))).append("</td><td class=\"o-").append(text(o)).append("\">")
                    .append(text(o)).append("</td><td class=\"detail\">").append(text(JsonTree.str(c, "detail")))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void timeline(StringBuilder b, Object r) {
        List<?> events = JsonTree.list(r, "timeline");
        if (events.isEmpty()) {
            return;
        }
        b.append("<h3>Scheduler timeline</h3>\n<table class=\"timeline\"><tr><th>at</th><th>step</th><th>event</th><th>scheduler</th><th>ops</th><th>detail</th></tr>\n");
        for (Object e : events) {
            b.append("<tr><td class=\"num\">").append(Html.number(JsonTree.num(e, "atMs"))).append(" ms</td><td class=\"num\">")
                    .append(Html.number(JsonTree.num(e, "step"))).append("</td><td>").append(text(JsonTree.str(e, "event")))
                    .append("</td><td>").append(text(JsonTree.str(e, "scheduler"))).append("</td><td>")
                    .append(text(JsonTree.str(e, "ops"))).append("</td><td>").append(text(JsonTree.str(e, "detail")))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    /** Version 2's scenario definition: each step's hold, ops and the cpusets in force. */
    private static void definition(StringBuilder b, Object r) {
        List<?> steps = JsonTree.list(r, "scenarioDefinition", "steps");
        if (steps.isEmpty()) {
            return;
        }
        b.append("<h3>Scenario as it ran</h3>\n<table class=\"definition\"><tr><th>step</th><th>hold</th><th>ops</th><th>cpusets while holding</th></tr>\n");
        for (Object s : steps) {
            StringBuilder ops = new StringBuilder();
            for (Object op : JsonTree.list(s, "ops")) {
                ops.append(ops.isEmpty() ? "" : "; ").append(compact(op));
            }
            b.append("<tr><td class=\"num\">").append(Html.number(JsonTree.num(s, "step"))).append("</td><td>")
                    .append(text(compact(JsonTree.at(s, "hold")))).append("</td><td>").append(text(ops)).append("</td><td>")
                    .append(text(compact(JsonTree.at(s, "cpusets")))).append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    /** {@code k=v, …} of an object's scalar fields (nulls left out), for a table cell. */
    private static String compact(Object o) {
        if (!(o instanceof Map<?, ?> m)) {
            return o == null ? "" : String.valueOf(o);
        }
        StringBuilder s = new StringBuilder();
        m.forEach((k, v) -> {
            if (v != null && !(v instanceof Map) && !(v instanceof List)) {
                s.append(s.isEmpty() ? "" : ", ").append(k).append('=').append(v instanceof Number n ? Html.number(n.doubleValue()) : v);
            } else if (v == null && !String.valueOf(k).endsWith("Resolved")) {
                s.append(s.isEmpty() ? "" : ", ").append(k).append("=all");
            }
        });
        return s.toString();
    }

    private static void row(StringBuilder b, String k, String v) {
        b.append("<tr><th>").append(text(k)).append("</th><td>").append(text(v)).append("</td></tr>");
    }

    private static List<String> strings(List<?> l) {
        return l.stream().map(String::valueOf).toList();
    }
}
