package dev.jktstr.cli.report;

import dev.jktstr.cli.JsonTree;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;


/**
 * The data of one run's charts, as the JSON the page's script hands to Chart.js: line charts of {x: seconds, y}
 * points (per-CPU runqueue depth, DSQ depths, per-cgroup work units per second) and bar charts over workers (longest
 * gap, wake latency percentiles). A chart is left out when the result has nothing for it (version 1 files have no
 * series); {@link #charts()} lists the ones present.
 */
final class ChartData {
    private static final JsonFactory JSON = new JsonFactory();

    /** One chart: id in the data object, title, Chart.js type, y-axis title. */
    record Chart(String id, String title, String type, String yTitle) {}

    private final List<Chart> charts = new ArrayList<>();
    private final String json;

    ChartData(Object result) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            monitor(g, result);
            progress(g, result);
            workers(g, result);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        json = out.toString();
    }

    List<Chart> charts() {
        return List.copyOf(charts);
    }

    /** The data object, safe to put inside a {@code <script type="application/json">}. */
    String scriptJson() {
        return Html.scriptJson(json);
    }

    private void monitor(JsonGenerator g, Object r) throws IOException {
        List<?> at = JsonTree.list(r, "series", "monitor", "atMs");
        if (at.isEmpty()) {
            return;
        }
        List<?> cpus = JsonTree.list(r, "series", "monitor", "cpus");
        if (!cpus.isEmpty()) {
            add("nrRunning", "Runqueue depth per CPU (nr_running)", "line", "tasks");
            g.writeArrayFieldStart("nrRunning");
            for (Object c : cpus) {
                lineSet(g, "cpu" + JsonTree.str(c, "cpu"), at, JsonTree.list(c, "nrRunning"));
            }
            g.writeEndArray();
        }
        List<?> dsqs = JsonTree.list(r, "series", "monitor", "dsqs");
        if (!dsqs.isEmpty()) {
            add("dsqDepth", "DSQ depth over time (local per CPU, global per node, the scheduler's own)", "line", "tasks");
            g.writeArrayFieldStart("dsqDepth");
            for (Object d : dsqs) {
                String label = JsonTree.str(d, "label");
                lineSet(g, label == null ? JsonTree.str(d, "kind") + " " + JsonTree.str(d, "id") : label, at,
                        JsonTree.list(d, "depth"));
            }
            g.writeEndArray();
        }
    }

    private void progress(JsonGenerator g, Object r) throws IOException {
        List<?> progress = JsonTree.list(r, "series", "progress");
        if (progress.isEmpty()) {
            return;
        }
        add("progress", "Worker progress per cgroup (work units per second)", "line", "work units/s");
        g.writeArrayFieldStart("progress");
        for (Object p : progress) {
            List<?> at = JsonTree.list(p, "atMs");
            // perSecond[i] is the rate between readings i and i+1: plot it at the later reading
            lineSet(g, JsonTree.str(p, "cgroup"), at.isEmpty() ? at : at.subList(1, at.size()), JsonTree.list(p, "perSecond"));
        }
        g.writeEndArray();
    }

    private void workers(JsonGenerator g, Object r) throws IOException {
        List<String> labels = new ArrayList<>();
        List<Double> gap = new ArrayList<>(), p50 = new ArrayList<>(), p99 = new ArrayList<>(), max = new ArrayList<>();
        boolean anyWake = false;
        for (Object c : JsonTree.list(r, "cgroups")) {
            for (Object w : JsonTree.list(c, "workers")) {
                labels.add(JsonTree.str(c, "name") + " pid " + JsonTree.str(w, "pid"));
                gap.add(scaled(JsonTree.num(w, "maxGapNs"), 1e6));
                long wakes = JsonTree.num(w, "wakeSamples") == null ? 0 : JsonTree.num(w, "wakeSamples").longValue();
                anyWake |= wakes > 0;
                p50.add(wakes > 0 ? scaled(JsonTree.num(w, "wakeP50Ns"), 1e3) : null);
                p99.add(wakes > 0 ? scaled(JsonTree.num(w, "wakeP99Ns"), 1e3) : null);
                max.add(wakes > 0 ? scaled(JsonTree.num(w, "wakeMaxNs"), 1e3) : null);
            }
        }
        if (labels.isEmpty()) {
            return;
        }
        add("gap", "Longest gap per worker (a worker not run for this long)", "bar", "ms");
        g.writeObjectFieldStart("gap");
        strings(g, "labels", labels);
        g.writeArrayFieldStart("datasets");
        barSet(g, "longest gap (ms)", gap);
        g.writeEndArray();
        g.writeEndObject();
        if (anyWake) {
            add("wake", "Wake latency per worker (p50, p99, max)", "bar", "µs");
            g.writeObjectFieldStart("wake");
            strings(g, "labels", labels);
            g.writeArrayFieldStart("datasets");
            barSet(g, "p50 (µs)", p50);
            barSet(g, "p99 (µs)", p99);
            barSet(g, "max (µs)", max);
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private void add(String id, String title, String type, String yTitle) {
        charts.add(new Chart(id, title, type, yTitle));
    }

    private static Double scaled(Double v, double div) {
        return v == null || v.isNaN() ? null : v / div;
    }

    /** {label, data: [{x: seconds, y}]}; points whose value is null are gaps in the line. */
    private static void lineSet(JsonGenerator g, String label, List<?> atMs, List<?> values) throws IOException {
        g.writeStartObject();
        g.writeStringField("label", label == null ? "?" : label);
        g.writeArrayFieldStart("data");
        for (int i = 0; i < Math.min(atMs.size(), values.size()); i++) {
            if (!(atMs.get(i) instanceof Number t)) {
                continue;
            }
            g.writeStartObject();
            g.writeNumberField("x", t.doubleValue() / 1000.0);
            if (values.get(i) instanceof Number v) {
                g.writeNumberField("y", v.doubleValue());
            } else {
                g.writeNullField("y");
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void barSet(JsonGenerator g, String label, List<Double> values) throws IOException {
        g.writeStartObject();
        g.writeStringField("label", label);
        g.writeArrayFieldStart("data");
        for (Double v : values) {
            if (v == null) {
                g.writeNull();
            } else {
                g.writeNumber(v);
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void strings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String s : values) {
            g.writeString(s);
        }
        g.writeEndArray();
    }

}
