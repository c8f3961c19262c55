package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.machine.Topology;
import dev.jktstr.scenario.Assert;
import dev.jktstr.scenario.CgroupStats;
import dev.jktstr.scenario.MetricRegistry;
import dev.jktstr.scenario.RegisteredMetric;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.ScenarioException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code perf-delta}, {@code stats list} and {@code stats list-metrics} over result files written by the real writer
 * ({@link RunResult#write}), so the fixtures follow the result format wherever it goes.
 */
class PerfDeltaCommandTest {

    /**
     * One steady run of two workers on two CPUs for 3 s: {@code units} work units each (a slower work type does
     * fewer), longest gap {@code gapMs}, p99 wake latency {@code wakeUs}.
     */
    static Path run(Path dir, String name, String scheduler, long units, long gapMs, long wakeUs) {
        List<WorkerTelemetry> workers = List.of(worker(101, units, gapMs, wakeUs, 0), worker(102, units + units / 100,
                gapMs, wakeUs, 1));
        CgroupStats cg = new CgroupStats("cg_0", "SPIN_WAIT", false, Optional.empty(), workers);
        RunResult r = new RunResult("steady", Instant.EPOCH, Duration.ofSeconds(4), Duration.ofSeconds(3), "6.12.0",
                "/k/bzImage", new Topology(1, 1, 2, 1), "qemu:tcg", scheduler, "enabled", Optional.empty(), List.of(cg),
                Assert.defaults().check(List.of(cg)));
        return r.write(dir.resolve(name + ".json"));
    }

    /** {@link #run} on a host that held its vCPUs back for {@code held} of the time they wanted, stealing nothing. */
    static Path runOnHost(Path dir, String name, long units, double held) {
        List<WorkerTelemetry> workers = List.of(worker(101, units, 6, 80, 0), worker(102, units, 6, 80, 1));
        CgroupStats cg = new CgroupStats("cg_0", "SPIN_WAIT", false, Optional.empty(), workers);
        RunResult r = new RunResult("steady", Instant.EPOCH, Duration.ofSeconds(4), Duration.ofSeconds(3), "6.12.0",
                "/k/bzImage", new Topology(1, 1, 2, 1), "qemu:tcg", "scx_simple", "enabled", Optional.empty(),
                List.of(cg), Assert.defaults().check(List.of(cg)), null, null, null, null, List.of(),
                new dev.jktstr.scenario.HostFacts(2, 1.0, "qemu:tcg", "none",
                        new dev.jktstr.scenario.HostInterference(held, 0.0)), null);
        return r.write(dir.resolve(name + ".json"));
    }

    @Test
    void aChangeWhenTheHostTookMoreFromOneSideIsHostNotARegression(@TempDir Path dir) {
        Path base = dir.resolve("base"), cand = dir.resolve("cand");
        for (int i = 1; i <= 3; i++) {
            runOnHost(base, "a" + i, 100_000 + i * 500, 0.02);
            runOnHost(cand, "b" + i, 60_000 + i * 500, 0.40); // a busy host took 40% of what the vCPUs wanted
        }
        RunCommandTest.Run r = RunCommandTest.jktstr("perf-delta", base.toString(), cand.toString());
        System.out.print(r.out());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("steady/cg_0.totalWorkUnits .*HOST")
                .containsPattern("steady/cg_0.minWorkRate .*HOST").contains("0 regressed")
                .contains("2 host-bound on unlike hosts")
                .contains("host: took 2% of the vCPUs' time in the baseline's runs, 40% in the candidate's")
                .contains("get no verdict (HOST)");
        // the same halving with the host alike on both sides is a regression, and counted metrics never go HOST
        Path alike = dir.resolve("alike");
        for (int i = 1; i <= 3; i++) {
            runOnHost(alike, "c" + i, 60_000 + i * 500, 0.04);
        }
        RunCommandTest.Run same = RunCommandTest.jktstr("perf-delta", base.toString(), alike.toString());
        System.out.print(same.out());
        assertThat(same.exit()).isEqualTo(PerfDeltaCommand.REGRESSED);
        assertThat(same.out()).containsPattern("steady/cg_0.totalWorkUnits .*REGRESSION")
                .contains("host: took 2% of the vCPUs' time in the baseline's runs, 4% in the candidate's (median, "
                        + "held back + stolen)\n".translateEscapes());
        assertThat(MetricRegistry.byName("workersOutsideCpuset")).map(RegisteredMetric::hostBound).contains(false);
        // a host taking 3% against 9% explains a few percent, not a halving: that stays a regression
        Path lightly = dir.resolve("lightly"), halved = dir.resolve("halved");
        for (int i = 1; i <= 3; i++) {
            runOnHost(lightly, "l" + i, 100_000 + i * 500, 0.03);
            runOnHost(halved, "h" + i, 50_000 + i * 500, 0.09);
        }
        RunCommandTest.Run half = RunCommandTest.jktstr("perf-delta", lightly.toString(), halved.toString());
        System.out.print(half.out());
        assertThat(half.exit()).isEqualTo(PerfDeltaCommand.REGRESSED);
        assertThat(half.out()).containsPattern("steady/cg_0.totalWorkUnits .*REGRESSION").contains("more than 5 points apart");
        // files without host facts: said so, judged as before
        Path plainBase = dir.resolve("plain");
        sameScheduler(plainBase, dir.resolve("plain2"));
        RunCommandTest.Run old = RunCommandTest.jktstr("perf-delta", plainBase.toString(), cand.toString());
        assertThat(old.out()).contains("host: not known for both sides");
    }

    private static WorkerTelemetry worker(int pid, long units, long gapMs, long wakeUs, int cpu) {
        return new WorkerTelemetry(pid, true, units, units / 10, 2_900_000_000L, 3_000_000_000L, 50_000_000L, 300, 2,
                List.of(cpu), gapMs * 1_000_000, cpu, 1_000_000_000L, 200, wakeUs * 500, wakeUs * 1000, wakeUs * 2000, 100,
                200);
    }

    /** Three runs of the same scheduler per side, with run-to-run jitter of a few percent. */
    private static void sameScheduler(Path base, Path cand) {
        run(base, "a1", "scx_simple", 100_000, 6, 80);
        run(base, "a2", "scx_simple", 97_000, 7, 90);
        run(base, "a3", "scx_simple", 102_000, 5, 85);
        run(cand, "b1", "scx_simple", 99_000, 6, 88);
        run(cand, "b2", "scx_simple", 103_000, 8, 79);
        run(cand, "b3", "scx_simple", 98_500, 6, 92);
    }

    @Test
    void sameSchedulerSetsReportNoRegression(@TempDir Path dir) {
        Path base = dir.resolve("base"), cand = dir.resolve("cand");
        sameScheduler(base, cand);
        RunCommandTest.Run r = RunCommandTest.jktstr("perf-delta", base.toString(), cand.toString(), "--all");
        System.out.print(r.out());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain("REGRESSION").contains("steady/cg_0.totalWorkUnits").contains("0 regressed");
    }

    @Test
    void aClearlySlowerCandidateIsReportedOnTheMetricThatGotWorse(@TempDir Path dir) {
        Path base = dir.resolve("base"), cand = dir.resolve("cand");
        sameScheduler(base, dir.resolve("unused"));
        // a slower work type: half the work units, everything else as before
        run(cand, "b1", "scx_simple", 50_000, 6, 85);
        run(cand, "b2", "scx_simple", 51_000, 7, 82);
        run(cand, "b3", "scx_simple", 49_000, 6, 88);
        RunCommandTest.Run r = RunCommandTest.jktstr("perf-delta", base.toString(), cand.toString());
        System.out.print(r.out());
        assertThat(r.exit()).as(r.err()).isEqualTo(PerfDeltaCommand.REGRESSED);
        List<String> regressed = r.out().lines().filter(l -> l.endsWith("REGRESSION")).map(l -> l.split("\\s+")[0]).toList();
        assertThat(regressed).containsExactlyInAnyOrder("steady/cg_0.totalWorkUnits", "steady/cg_0.minWorkRate");
        assertThat(r.out()).contains("2 regressed");
    }

    @Test
    void aChangeWithinTheRunsSpreadIsNoisyNotARegression(@TempDir Path dir) {
        Path base = dir.resolve("base"), cand = dir.resolve("cand");
        run(base, "a1", "scx_simple", 100_000, 20, 80);
        run(base, "a2", "scx_simple", 100_000, 100, 80);
        run(base, "a3", "scx_simple", 100_000, 180, 80);
        // the median gap grew past the gate (50 ms and 50%), but the baseline runs spread wider than that
        run(cand, "b1", "scx_simple", 100_000, 160, 80);
        run(cand, "b2", "scx_simple", 100_000, 170, 80);
        run(cand, "b3", "scx_simple", 100_000, 165, 80);
        RunCommandTest.Run r = RunCommandTest.jktstr("perf-delta", base.toString(), cand.toString());
        System.out.print(r.out());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("steady/cg_0.maxGapMs ")).findFirst().orElseThrow())
                .endsWith("NOISY").contains("100 ±118.6 (3)").contains("165 ±7.413 (3)");
        // with one run per side nothing is known about the noise: the same change is a regression
        RunCommandTest.Run single = RunCommandTest.jktstr("perf-delta", base.resolve("a2.json").toString(),
                cand.resolve("b2.json").toString());
        System.out.print(single.out());
        assertThat(single.exit()).isEqualTo(PerfDeltaCommand.REGRESSED);
        assertThat(single.out()).contains("steady/cg_0.maxGapMs");
    }

    /** One run far off (a host hiccup) does not hide a clear change: the spread is the median absolute deviation. */
    @Test
    void oneOutlyingRunDoesNotHideAClearRegression(@TempDir Path dir) {
        Path base = dir.resolve("base"), cand = dir.resolve("cand");
        run(base, "a1", "scx_simple", 100_000, 6, 80);
        run(base, "a2", "scx_simple", 30_000, 6, 80); // the host stole most of this run
        run(base, "a3", "scx_simple", 98_000, 6, 80);
        run(cand, "b1", "scx_simple", 50_000, 6, 80);
        run(cand, "b2", "scx_simple", 49_000, 6, 80);
        run(cand, "b3", "scx_simple", 120_000, 6, 80);
        RunCommandTest.Run r = RunCommandTest.jktstr("perf-delta", base.toString(), cand.toString());
        System.out.print(r.out());
        assertThat(r.exit()).isEqualTo(PerfDeltaCommand.REGRESSED);
        assertThat(r.out()).containsPattern("steady/cg_0.totalWorkUnits .*REGRESSION");
    }

    @Test
    void aBaselineOfAnIncompatibleVersionIsNamedAndRefused(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base"), cand = dir.resolve("cand");
        sameScheduler(base, cand);
        Path old = base.resolve("a2.json");
        Files.writeString(old, Files.readString(old).replaceFirst("\"version\"\\s*:\\s*\\d+", "\"version\" : 99"));
        RunCommandTest.Run r = RunCommandTest.jktstr("perf-delta", base.toString(), cand.toString());
        assertThat(r.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(r.err()).contains("baseline result refused").contains(old.toString()).contains("version 99");
        assertThat(r.out()).isEmpty();
        // the reader's own words, so this stays true whatever the format version becomes
        assertThat(r.err()).contains(catchMessage(old));
        RunCommandTest.Run missing = RunCommandTest.jktstr("perf-delta", dir.resolve("nothing").toString(), cand.toString());
        assertThat(missing.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(missing.err()).contains("baseline " + dir.resolve("nothing") + ": no such result file or directory");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        RunCommandTest.Run none = RunCommandTest.jktstr("perf-delta", base.resolve("a1.json").toString(), empty.toString());
        assertThat(none.err()).contains("candidate " + empty + ": no *.json result files in it");
    }

    private static String catchMessage(Path file) {
        try {
            dev.jktstr.scenario.ResultJson.readMetrics(file);
            throw new AssertionError("read " + file);
        } catch (ScenarioException e) {
            return e.getMessage();
        }
    }

    @Test
    void statsListShowsEachRunAndListMetricsTheRegistry(@TempDir Path dir) throws Exception {
        run(dir.resolve("x"), "r1", "scx_simple", 100_000, 5, 80);
        run(dir.resolve("y"), "r2", "eevdf", 100_000, 5, 80);
        Files.writeString(dir.resolve("junk.json"), "[1, 2]");
        RunCommandTest.Run r = RunCommandTest.jktstr("stats", "list", dir.toString());
        System.out.print(r.out());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("steady\\s+scx_simple\\s+1,1,2,1\\s+PASS\\s+\\S+\\s+x/r1.json")
                .containsPattern("steady\\s+eevdf\\s+1,1,2,1\\s+PASS\\s+\\S+\\s+y/r2.json")
                .contains("not a result file").contains("3 runs");
        RunCommandTest.Run m = RunCommandTest.jktstr("stats", "list-metrics");
        System.out.print(m.out());
        assertThat(m.exit()).isZero();
        for (RegisteredMetric metric : MetricRegistry.all()) {
            assertThat(m.out()).contains(metric.name());
        }
        assertThat(m.out()).containsPattern("maxGapMs\\s+ms\\s+lower-is-better\\s+latency-percentile\\s+50%, 50");
    }
}
