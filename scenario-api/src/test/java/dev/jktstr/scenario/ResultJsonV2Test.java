package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.jktstr.introspect.DsqState;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.machine.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Result format v2: scenario definition, build, host, series, units, numbers as numbers; version 1 still read. */
class ResultJsonV2Test {

    private static RunqueueState rq(int cpu, Long nr, Long local) {
        return new RunqueueState(cpu, nr, 1L, 0, "swapper", 0L, 0L, 0L, local, List.of());
    }

    private static Snapshot sample(long monoNanos, RunqueueState... rqs) {
        return new Snapshot(Instant.EPOCH, monoNanos, 0, List.of(rqs), null,
                List.of(new DsqState("user", -1, 1, monoNanos / 1_000_000_000L, 0)), List.of(), List.of(), List.of());
    }

    @Test
    void monitorSeriesKeepsPerCpuValuesTimesAndNullsAndAggregates() {
        long t0 = 5_000_000_000L;
        MonitorSeries m = MonitorSeries.of(List.of(
                sample(t0 + 250_000_000L, rq(0, 2L, 1L), rq(1, 0L, 0L)),
                sample(t0 + 1_500_000_000L, rq(0, null, null), rq(1, 3L, 2L))), t0);
        assertThat(m.atMs()).containsExactly(250L, 1500L);
        assertThat(m.cpus()).extracting(MonitorSeries.CpuSeries::cpu).containsExactly(0, 1);
        assertThat(m.cpus().get(0).nrRunning()).containsExactly(2L, null);
        assertThat(m.totalNrRunning()).containsExactly(2L, 3L);
        assertThat(m.imbalance()).containsExactly(2L, 0L);
        assertThat(m.dsqs()).singleElement().satisfies(d -> {
            assertThat(d.label()).isEqualTo("user 0x1");
            assertThat(d.depth()).containsExactly(5L, 6L);
        });
        assertThat(new ProgressSeries("cg", List.of(0L, 500L, 1500L), List.of(0L, 100L, 400L)).perSecond())
                .containsExactly(200.0, 300.0);
    }

    @Test
    void writesVersion2WithDefinitionSeriesAndNumbersAsNumbers(@TempDir Path dir) throws Exception {
        CgroupStats s = VerdictTest.cgroup("cg_0", Optional.empty(), VerdictTest.worker(1000, 500, 5, List.of(0)),
                VerdictTest.worker(3000, 500, 7, List.of(1)));
        Verdict v = Assert.defaults().check(List.of(s));
        v.claim(CgroupStats::p99WakeLatencyUs, s).atMost(10); // NaN: no wake samples
        List<Step> steps = List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0").workers(2).cpuset(CpusetSpec.llc(1)))),
                Step.of(HoldSpec.fraction(0.5), Op.setCpuset("cg_0", CpusetSpec.cpus(0))));
        long t0 = 0;
        MonitorSeries m = MonitorSeries.of(List.of(sample(250_000_000L, rq(0, 1L, 0L), rq(1, 1L, 0L))), t0);
        RunSeries series = new RunSeries(m, List.of(new ProgressSeries("cg_0", List.of(1000L, 2000L), List.of(10L, 30L))));
        RunResult r = new RunResult("steady", Instant.EPOCH, Duration.ofSeconds(3), Duration.ofSeconds(3), "6.12",
                "bzImage", new Topology(1, 2, 2, 1), "qemu:tcg", "eevdf", "", Optional.empty(), List.of(s), v, null,
                null, null, null, steps, new HostFacts(2, Double.NaN, "qemu:tcg", "none", new HostInterference(0.25, Double.NaN)), series);
        assertThat(r.monitorSeries().cpus()).hasSize(2);
        assertThat(r.progress()).extracting(ProgressSeries::cgroup).containsExactly("cg_0");
        Path f = r.write(dir.resolve("r.json"));

        Map<String, Object> json = parse(f);
        assertThat(json).containsEntry("version", 2).containsEntry("scenario", "steady")
                .containsKeys("started", "kernel", "topology", "backend", "scheduler", "verdict", "cgroups", "monitor",
                        "jktstr", "host", "scenarioDefinition", "series", "units");
        assertThat(get(json, "jktstr", "version")).isEqualTo(BuildInfo.current().version());
        assertThat(get(json, "host", "cores")).isEqualTo(2);
        assertThat(get(json, "host", "loadAverage1m")).isNull();
        assertThat(get(json, "host", "vcpuHeldShare")).isEqualTo(0.25);
        assertThat(get(json, "host", "stealShare")).isNull();
        assertThat(ResultJson.readInterference(f)).isEqualTo(new HostInterference(0.25, Double.NaN));
        Map<?, ?> metrics = (Map<?, ?>) ((Map<?, ?>) ((List<?>) json.get("cgroups")).get(0)).get("metrics");
        assertThat(metrics.get("workers")).isEqualTo(2); // a count: an integer, not 2.0
        assertThat(metrics.get("totalWorkUnits")).isEqualTo(4000);
        assertThat(metrics.containsKey("p99WakeLatencyUs") && metrics.get("p99WakeLatencyUs") == null).isTrue();
        List<?> claims = (List<?>) get(json, "verdict", "claims");
        Map<?, ?> wake = (Map<?, ?>) claims.stream().filter(c -> ((Map<?, ?>) c).get("label").equals("cg_0.p99WakeLatencyUs"))
                .findFirst().orElseThrow();
        assertThat(wake.containsKey("value") && wake.get("value") == null).isTrue(); // was the string "NaN" in v1
        assertThat(Files.readString(f)).doesNotContain("\"NaN\"");

        List<?> defSteps = (List<?>) get(json, "scenarioDefinition", "steps");
        assertThat(get((Map<?, ?>) defSteps.get(0), "cpusets")).isEqualTo(Map.of("cg_0", "2-3"));
        assertThat(get((Map<?, ?>) defSteps.get(1), "cpusets")).isEqualTo(Map.of("cg_0", "0"));
        Map<?, ?> cg = (Map<?, ?>) ((List<?>) get(json, "scenarioDefinition", "cgroups")).get(0);
        assertThat(cg.get("cpuset")).isEqualTo("llc(1)");
        assertThat(cg.get("workers")).isEqualTo(2);
        assertThat(get(json, "series", "monitor", "atMs")).isEqualTo(List.of(250));
        Map<?, ?> progress = (Map<?, ?>) ((List<?>) get(json, "series", "progress")).get(0);
        assertThat(progress.get("perSecond")).isEqualTo(List.of(20.0));
        assertThat(get(json, "units", "atMs")).asString().startsWith("ms");

        assertThat(ResultJson.readMetrics(f)).containsEntry("steady/cg_0.totalWorkUnits", 4000.0)
                .doesNotContainKey("steady/cg_0.p99WakeLatencyUs");
    }

    @Test
    void readsVersion1Files() throws Exception {
        Path v1 = Path.of(getClass().getResource("/results/steady-v1.json").toURI());
        assertThat(ResultJson.readMetrics(v1)).containsEntry("steady/cg_0.workers", 1.0).isNotEmpty();
    }

    // --- a tiny independent reader (jackson-core tokens to maps), so the test does not read with the writer's code

    static Map<String, Object> parse(Path f) throws Exception {
        try (JsonParser p = new JsonFactory().createParser(f.toFile())) {
            p.nextToken();
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) value(p);
            return m;
        }
    }

    private static Object value(JsonParser p) throws Exception {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    m.put(k, value(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_NUMBER_INT -> {
                return p.getNumberValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            default -> {
                return null;
            }
        }
    }

    static Object get(Map<?, ?> m, String... path) {
        Object o = m;
        for (String k : path) {
            o = ((Map<?, ?>) o).get(k);
        }
        return o;
    }

    @SuppressWarnings("unused")
    private static List<Long> longs(Long... v) {
        return Arrays.asList(v);
    }
}
