package dev.jktstr.scenario;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The result file's {@code series} (the monitor's samples per CPU and per DSQ, each cgroup's progress, with their
 * timestamps) and its {@code units} map (what each numeric field counts in).
 */
final class SeriesJson {
    /** Field name -> unit, for every numeric field whose unit is not obvious from its name. */
    static final Map<String, String> UNITS = unitMap();

    private SeriesJson() {
    }

    private static Map<String, String> unitMap() {
        var m = new java.util.LinkedHashMap<String, String>();
        m.put("atMs", "ms since the run started (host monotonic clock)");
        m.put("elapsedMs", "ms");
        m.put("durationMs", "ms");
        m.put("wallMs", "ms");
        m.put("maxGapMs", "ms");
        m.put("maxGuestGapMs", "ms");
        m.put("cpuNs", "ns");
        m.put("wallNs", "ns");
        m.put("offCpuNs", "ns");
        m.put("runDelayNs", "ns");
        m.put("maxGapNs", "ns");
        m.put("maxGapAtNs", "ns since the worker started");
        m.put("maxGapHostBlameNs", "ns");
        m.put("wakeP50Ns", "ns");
        m.put("wakeP99Ns", "ns");
        m.put("wakeMaxNs", "ns");
        m.put("p99WakeLatencyUs", "us");
        m.put("workUnits", "work units (one loop of the work type)");
        m.put("totalWorkUnits", "work units");
        m.put("minWorkRate", "work units/s");
        m.put("perSecond", "work units/s");
        m.put("nrRunning", "tasks (rq->nr_running)");
        m.put("localDsqDepth", "tasks (rq->scx.local_dsq.nr)");
        m.put("depth", "tasks (dsq->nr)");
        m.put("meanImbalance", "tasks (max - min nr_running across CPUs)");
        m.put("p90Imbalance", "tasks");
        m.put("maxImbalance", "tasks");
        m.put("loadAverage1m", "runnable tasks, 1-minute average");
        m.put("fairnessSpread", "ratio ((max - min) / mean work units)");
        m.put("throughputCv", "ratio (coefficient of variation)");
        m.put("migrationRatio", "migrations per timeslice");
        m.put("runDelayShare", "ratio (run delay / wall time)");
        m.put("intervalMs", "ms");
        m.put("ms", "ms");
        return java.util.Collections.unmodifiableMap(m);
    }

    static void writeUnits(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("units");
        for (Map.Entry<String, String> e : UNITS.entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    static void write(JsonGenerator g, RunSeries s) throws IOException {
        g.writeObjectFieldStart("series");
        MonitorSeries m = s.monitor();
        g.writeObjectFieldStart("monitor");
        g.writeNumberField("intervalMs", RunMonitor.SAMPLE_INTERVAL.toMillis());
        longs(g, "atMs", m.atMs());
        g.writeArrayFieldStart("cpus");
        for (MonitorSeries.CpuSeries c : m.cpus()) {
            g.writeStartObject();
            g.writeNumberField("cpu", c.cpu());
            longs(g, "nrRunning", c.nrRunning());
            longs(g, "localDsqDepth", c.localDsqDepth());
            g.writeEndObject();
        }
        g.writeEndArray();
        longs(g, "totalNrRunning", m.totalNrRunning());
        longs(g, "imbalance", m.imbalance());
        g.writeArrayFieldStart("dsqs");
        for (MonitorSeries.DsqSeries d : m.dsqs()) {
            g.writeStartObject();
            g.writeStringField("kind", d.kind());
            g.writeNumberField("owner", d.owner());
            g.writeStringField("id", "0x" + Long.toHexString(d.id()));
            g.writeStringField("label", d.label());
            longs(g, "depth", d.depth());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeArrayFieldStart("progress");
        for (ProgressSeries p : s.progress()) {
            g.writeStartObject();
            g.writeStringField("cgroup", p.cgroup());
            longs(g, "atMs", p.atMs());
            longs(g, "workUnits", p.workUnits());
            g.writeArrayFieldStart("perSecond");
            for (Double v : p.perSecond()) {
                if (v == null) {
                    g.writeNull();
                } else {
                    g.writeNumber(Math.round(v * 10) / 10.0);
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("watches");
        for (TimeSeries w : s.watches()) {
            g.writeStartObject();
            g.writeStringField("name", w.name());
            longs(g, "atMs", w.atMs());
            g.writeArrayFieldStart("values");
            for (double v : w.values()) {
                if (v == Math.rint(v) && Math.abs(v) < 0x1p53) {
                    g.writeNumber((long) v);
                } else {
                    g.writeNumber(v);
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void longs(JsonGenerator g, String field, List<Long> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (Long v : values) {
            if (v == null) {
                g.writeNull();
            } else {
                g.writeNumber(v);
            }
        }
        g.writeEndArray();
    }
}
