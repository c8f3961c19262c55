package dev.jktstr.scenario;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.jktstr.guest.WorkerTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The run result file (one JSON object per run) and the metric table {@code jktstr stats compare} reads back. */
public final class ResultJson {
    private static final JsonFactory JSON = new JsonFactory();
    /** Format version written (2: scenario definition, build, host, series, units; numbers as numbers, null for NaN). */
    public static final int VERSION = 2;
    /** The oldest version readers accept: version 1 has the same top-level fields, fewer of them. */
    public static final int MIN_VERSION = 1;
    /** Metrics that count things: written as integers. */
    private static final java.util.Set<String> COUNTS = java.util.Set.of("workers", "stuckWorkers",
            "workersOutsideCpuset", "totalWorkUnits");

    private ResultJson() {
    }

    static void write(RunResult r, Path file) {
        try {
            JsonFile.write(file, g -> {
                g.writeStartObject();
                g.writeNumberField("version", VERSION);
                g.writeStringField("scenario", r.scenario());
                BuildInfo build = BuildInfo.current();
                g.writeObjectFieldStart("jktstr");
                g.writeStringField("version", build.version());
                g.writeStringField("commit", build.commit());
                g.writeEndObject();
                g.writeStringField("started", r.started().toString());
                g.writeNumberField("elapsedMs", r.elapsed().toMillis());
                g.writeNumberField("durationMs", r.duration().toMillis());
                g.writeObjectFieldStart("kernel");
                g.writeStringField("release", r.kernelRelease());
                g.writeStringField("image", r.kernelImage());
                // Added for kernel matrices (issue 21): two builds of one release differ here.
                g.writeStringField("configHash", KernelConfigHash.of(r.kernelImage()).orElse(null));
                g.writeEndObject();
                g.writeObjectFieldStart("topology");
                g.writeNumberField("numaNodes", r.topology().numaNodes());
                g.writeNumberField("llcsPerNode", r.topology().llcsPerNode());
                g.writeNumberField("coresPerLlc", r.topology().coresPerLlc());
                g.writeNumberField("threadsPerCore", r.topology().threadsPerCore());
                g.writeNumberField("cpus", r.topology().cpuCount());
                g.writeEndObject();
                g.writeStringField("backend", r.backend());
                writeHost(g, r.host());
                g.writeObjectFieldStart("scheduler");
                g.writeStringField("name", r.scheduler());
                g.writeStringField("schedExtState", r.schedExtState());
                if (r.schedulerExit().isPresent()) {
                    g.writeStringField("exitReason", r.schedulerExit().get());
                }
                g.writeArrayFieldStart("ran");
                for (String s : r.schedulers()) {
                    g.writeString(s);
                }
                g.writeEndArray();
                g.writeEndObject();
                writeTimeline(g, r);
                writeThresholds(g, r.thresholds());
                writeVerdict(g, r.verdict());
                g.writeArrayFieldStart("cgroups");
                for (CgroupStats c : r.cgroups()) {
                    writeCgroup(g, c);
                }
                g.writeEndArray();
                writePayloads(g, r.payloads());
                writeMonitor(g, r.monitor());
                ScenarioDefinitionJson.write(g, r.steps(), r.topology());
                SeriesJson.write(g, r.series());
                SeriesJson.writeUnits(g);
                g.writeEndObject();
            });
        } catch (IOException e) {
            throw new UncheckedIOException("writing the result file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Added in v2 with payloads (readers of older v2 files skip it): each payload's end and its output's tail. */
    private static void writePayloads(JsonGenerator g, java.util.List<PayloadResult> payloads) throws IOException {
        g.writeArrayFieldStart("payloads");
        for (PayloadResult p : payloads) {
            g.writeStartObject();
            g.writeStringField("name", p.name());
            g.writeStringField("command", p.command());
            g.writeStringField("cgroup", p.cgroup().orElse(null));
            g.writeNumberField("step", p.step());
            g.writeStringField("end", p.end().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            if (p.end() == PayloadResult.End.EXITED) {
                g.writeNumberField("exitCode", p.exitCode());
            } else {
                g.writeNullField("exitCode");
            }
            if (p.end() == PayloadResult.End.SIGNALED) {
                g.writeNumberField("signal", p.signal());
            } else {
                g.writeNullField("signal");
            }
            g.writeStringField("killed", p.killed().orElse(null));
            g.writeNumberField("elapsedMs", p.elapsed().toMillis());
            g.writeNumberField("outputBytes", p.outputBytes());
            g.writeNumberField("droppedBytes", p.droppedBytes());
            g.writeStringField("output", p.output());
            if (!p.error().isEmpty()) {
                g.writeStringField("error", p.error());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeHost(JsonGenerator g, HostFacts h) throws IOException {
        if (h == null) {
            g.writeNullField("host");
            return;
        }
        g.writeObjectFieldStart("host");
        g.writeNumberField("cores", h.cores());
        number(g, "loadAverage1m", h.loadAverage1m());
        g.writeStringField("backend", h.backend());
        g.writeStringField("kvm", h.kvm());
        number(g, "vcpuHeldShare", h.interference().vcpuHeldShare());
        number(g, "stealShare", h.interference().stealShare());
        g.writeEndObject();
    }

    /** The run's {@code timeline} array (also a failure dump's). */
    static void writeTimeline(JsonGenerator g, RunResult r) throws IOException {
        g.writeArrayFieldStart("timeline");
        for (TimelineEvent e : r.timeline()) {
            g.writeStartObject();
            g.writeNumberField("atMs", e.at().toMillis());
            g.writeNumberField("step", e.step());
            g.writeStringField("event", e.kind());
            g.writeStringField("scheduler", e.scheduler());
            g.writeStringField("ops", e.opsName());
            if (!e.detail().isEmpty()) {
                g.writeStringField("detail", e.detail());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** Every threshold with its value and the layer it came from ({@code defaults}, {@code scheduler:…}, {@code test}). */
    private static void writeThresholds(JsonGenerator g, ThresholdLayers t) throws IOException {
        g.writeObjectFieldStart("thresholds");
        g.writeArrayFieldStart("layers");
        g.writeString(ThresholdLayers.DEFAULTS);
        for (ThresholdPresets.Preset p : t.presets()) {
            g.writeString(p.layerName());
        }
        g.writeString(ThresholdLayers.TEST);
        g.writeEndArray();
        g.writeObjectFieldStart("values");
        for (ThresholdLayers.Source s : t.resolved().values()) {
            g.writeObjectFieldStart(s.field());
            switch (s.value()) {
                case null -> g.writeNullField("value");
                case Boolean b -> g.writeBooleanField("value", b);
                case Double d -> number(g, "value", d);
                default -> g.writeStringField("value", s.value().toString());
            }
            g.writeStringField("layer", s.layer());
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void writeMonitor(JsonGenerator g, MonitorSummary m) throws IOException {
        g.writeObjectFieldStart("monitor");
        g.writeStringField("status", m.status());
        g.writeNumberField("samples", m.samples());
        number(g, "meanImbalance", m.meanImbalance());
        number(g, "p90Imbalance", m.p90Imbalance());
        number(g, "maxImbalance", m.maxImbalance());
        number(g, "maxLocalDsqDepth", m.maxDsqDepth());
        g.writeArrayFieldStart("stalls");
        for (var j : m.judgedStalls()) {
            var st = j.stall();
            g.writeStartObject();
            g.writeNumberField("cpu", st.cpu());
            g.writeNumberField("firstSample", st.firstSample());
            g.writeNumberField("lastSample", st.lastSample());
            g.writeNumberField("clock", st.clock());
            g.writeNumberField("nrRunning", st.nrRunning());
            g.writeNumberField("wallMs", j.wallNanos() / 1e6);
            g.writeStringField("current", j.curr());
            g.writeStringField("cause", j.cause());
            g.writeStringField("host", j.host());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeObjectFieldStart("schedExt");
        g.writeBooleanField("expected", m.schedExtExpected());
        g.writeBooleanField("present", m.hasSchedExt());
        g.writeStringField("state", m.schedExtState());
        g.writeStringField("exitKind", m.exitKind());
        g.writeNumberField("errorExitSamples", m.errorExitSamples());
        g.writeEndObject();
        g.writeObjectFieldStart("dsqs");
        g.writeBooleanField("sampled", m.dsqsSampled());
        number(g, "maxGlobalDepth", m.maxGlobalDsqDepth());
        number(g, "maxUserDepth", m.maxUserDsqDepth());
        g.writeArrayFieldStart("queues");
        for (MonitorSummary.DsqDepth d : m.dsqDepths()) {
            g.writeStartObject();
            g.writeStringField("kind", d.kind());
            g.writeNumberField("owner", d.owner());
            g.writeStringField("id", "0x" + Long.toHexString(d.id()));
            g.writeNumberField("samples", d.samples());
            g.writeNumberField("maxDepth", d.maxDepth());
            number(g, "meanDepth", d.meanDepth());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeNumberField("fieldErrors", m.fieldErrors());
        g.writeArrayFieldStart("snapshots");
        for (var s : m.snapshots()) {
            s.writeJson(g);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** A number, or null where it is absent (NaN: no samples, not measured) or not finite. */
    private static void number(JsonGenerator g, String field, double v) throws IOException {
        if (Double.isFinite(v)) {
            g.writeNumberField(field, v);
        } else {
            g.writeNullField(field);
        }
    }

    private static void writeVerdict(JsonGenerator g, Verdict v) throws IOException {
        g.writeObjectFieldStart("verdict");
        g.writeStringField("outcome", v.outcome().name());
        g.writeNumberField("exitCode", v.outcome().exitCode());
        g.writeStringField("reason", v.reason());
        g.writeArrayFieldStart("claims");
        for (ClaimResult c : v.claims()) {
            g.writeStartObject();
            g.writeStringField("label", c.label());
            number(g, "value", c.value());
            g.writeStringField("comparison", c.comparison());
            g.writeStringField("threshold", c.threshold());
            g.writeArrayFieldStart("limits");
            for (double l : c.limits()) {
                g.writeNumber(l);
            }
            g.writeEndArray();
            g.writeStringField("outcome", c.outcome().name());
            if (!c.detail().isEmpty()) {
                g.writeStringField("detail", c.detail());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("notes");
        for (String n : v.notes()) {
            g.writeString(n);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeCgroup(JsonGenerator g, CgroupStats c) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", c.name());
        g.writeStringField("workType", c.workType());
        if (c.cpuset().isPresent()) {
            g.writeStringField("cpuset", CpusetSpec.format(c.cpuset().get()));
        }
        g.writeObjectFieldStart("metrics");
        for (Map.Entry<String, Double> m : metrics(c).entrySet()) {
            double v = m.getValue();
            if (COUNTS.contains(m.getKey()) && Double.isFinite(v) && v == Math.rint(v)) {
                g.writeNumberField(m.getKey(), (long) v);
            } else {
                number(g, m.getKey(), v);
            }
        }
        g.writeEndObject();
        g.writeArrayFieldStart("workers");
        for (int i = 0; i < c.workers().size(); i++) {
            WorkerTelemetry w = c.workers().get(i);
            CgroupStats.GapHost gh = c.gapHost().get(i);
            g.writeStartObject();
            g.writeNumberField("pid", w.pid());
            g.writeBooleanField("finished", w.finished());
            g.writeNumberField("workUnits", w.workUnits());
            g.writeNumberField("iterations", w.iterations());
            g.writeNumberField("cpuNs", w.cpuNanos());
            g.writeNumberField("wallNs", w.wallNanos());
            g.writeNumberField("offCpuNs", w.offCpuNanos());
            g.writeNumberField("runDelayNs", w.runDelayNanos());
            g.writeNumberField("timeslices", w.timeslices());
            g.writeNumberField("migrations", w.migrations());
            g.writeArrayFieldStart("cpusUsed");
            for (int cpu : w.cpusUsed()) {
                g.writeNumber(cpu);
            }
            g.writeEndArray();
            g.writeNumberField("maxGapNs", w.maxGapNanos());
            g.writeNumberField("maxGapCpu", w.maxGapCpu());
            g.writeNumberField("maxGapAtNs", w.maxGapAtNanos());
            if (gh.blameNanos() >= 0) {
                g.writeNumberField("maxGapHostBlameNs", gh.blameNanos());
                g.writeStringField("maxGapHost", gh.host());
            }
            g.writeNumberField("wakeSamples", w.wakeCount());
            g.writeNumberField("wakeP50Ns", w.wakeP50Nanos());
            g.writeNumberField("wakeP99Ns", w.wakeP99Nanos());
            g.writeNumberField("wakeMaxNs", w.wakeMaxNanos());
            g.writeNumberField("voluntarySwitches", w.voluntarySwitches());
            g.writeNumberField("involuntarySwitches", w.involuntarySwitches());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** The per-cgroup metrics written to (and compared from) result files. */
    static Map<String, Double> metrics(CgroupStats c) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("workers", c.workerCount());
        m.put("stuckWorkers", c.stuckWorkers());
        m.put("maxGapMs", c.maxGapMs());
        m.put("maxGuestGapMs", c.maxGuestGapMs());
        m.put("fairnessSpread", c.fairnessSpread());
        m.put("throughputCv", c.throughputCv());
        m.put("minWorkRate", c.minWorkRate());
        m.put("p99WakeLatencyUs", c.p99WakeLatencyUs());
        m.put("migrationRatio", c.migrationRatio());
        m.put("workersOutsideCpuset", c.workersOutsideCpuset());
        m.put("totalWorkUnits", c.totalWorkUnits());
        m.put("runDelayShare", c.runDelayShare());
        return m;
    }

    /** What {@code perf-delta} compares from one result file: its metrics and what the host took from the run. */
    public record RunFigures(Map<String, Double> metrics, HostInterference interference) {}

    /**
     * Reads the metrics of a result file: {@code "<scenario>/<cgroup>.<metric>" -> value}. Malformed files throw
     * {@link ScenarioException} naming the file.
     */
    public static Map<String, Double> readMetrics(Path file) {
        return readFigures(file).metrics();
    }

    /**
     * What the host took from the run a result file records ({@code host.vcpuHeldShare}, {@code host.stealShare});
     * {@link HostInterference#UNKNOWN} parts where the file predates them or the host did not say. Malformed files
     * throw {@link ScenarioException} naming the file.
     */
    public static HostInterference readInterference(Path file) {
        return readFigures(file).interference();
    }

    /** The metrics and the host interference of a result file, in one pass over it. */
    public static RunFigures readFigures(Path file) {
        Map<String, Double> out = new LinkedHashMap<>();
        double[] host = {Double.NaN, Double.NaN};
        try (JsonParser p = JSON.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ScenarioException(file + ": not a jktstr result (no JSON object)");
            }
            String scenario = "?";
            int version = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "version" -> version = p.getIntValue();
                    case "scenario" -> scenario = p.getText();
                    case "cgroups" -> {
                        if (t != JsonToken.START_ARRAY) {
                            throw new ScenarioException(file + ": 'cgroups' is not an array");
                        }
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            readCgroup(p, scenario, out);
                        }
                    }
                    case "host" -> {
                        if (t == JsonToken.START_OBJECT) {
                            readHost(p, host);
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (version < MIN_VERSION || version > VERSION) {
                throw new ScenarioException(file + ": result format version " + version + ", this jktstr reads "
                        + MIN_VERSION + " to " + VERSION);
            }
        } catch (IOException e) {
            throw new ScenarioException(file + ": unreadable result file: " + e.getMessage(), e);
        }
        return new RunFigures(out, new HostInterference(host[0], host[1]));
    }

    /** {@code host.vcpuHeldShare} into {@code into[0]}, {@code host.stealShare} into {@code into[1]}. */
    private static void readHost(JsonParser p, double[] into) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            p.nextToken();
            if (p.currentToken().isNumeric() && k.equals("vcpuHeldShare")) {
                into[0] = p.getDoubleValue();
            } else if (p.currentToken().isNumeric() && k.equals("stealShare")) {
                into[1] = p.getDoubleValue();
            } else {
                p.skipChildren();
            }
        }
    }

    private static void readCgroup(JsonParser p, String scenario, Map<String, Double> out) throws IOException {
        String name = "?";
        Map<String, Double> metrics = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("name")) {
                name = p.getText();
            } else if (field.equals("metrics")) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    if (p.currentToken().isNumeric()) {
                        metrics.put(k, p.getDoubleValue());
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        String prefix = scenario + "/" + name + ".";
        metrics.forEach((k, v) -> out.put(prefix + k, v));
    }
}
