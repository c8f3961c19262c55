package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.guest.WorkerTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerdictTest {

    static WorkerTelemetry worker(long units, long cpuMs, long gapMs, List<Integer> cpus) {
        return new WorkerTelemetry(100, true, units, units, cpuMs * 1_000_000, 1_000_000_000L, 1000, 10, 1, cpus,
                gapMs * 1_000_000, cpus.get(0), 5, 0, 0, 0, 0, 3, 4);
    }

    static CgroupStats cgroup(String name, Optional<BitSet> cpuset, WorkerTelemetry... w) {
        return new CgroupStats(name, "SPIN_WAIT", false, cpuset, List.of(w));
    }

    static BitSet cpus(int... c) {
        BitSet b = new BitSet();
        for (int i : c) {
            b.set(i);
        }
        return b;
    }

    @Test
    void aMetricClaimedOnceKeepsItsPlainLabelAndRepeatsAreQualified() {
        CgroupStats s = cgroup("cg_0", Optional.empty(), worker(1000, 900, 40, List.of(0)));
        Verdict v = Assert.defaults().verdict();
        v.claim(CgroupStats::maxGapMs, s).atMost(100).claim(CgroupStats::totalWorkUnits, s).atLeast(1);
        assertThat(v.claims()).extracting(ClaimResult::label).containsExactly("cg_0.maxGapMs", "cg_0.totalWorkUnits");
        v.claim(CgroupStats::maxGapMs, s).atLeast(10).claim(CgroupStats::maxGapMs, s).atLeast(10);
        assertThat(v.claims()).extracting(ClaimResult::label).containsExactly("cg_0.maxGapMs[<= 100]",
                "cg_0.totalWorkUnits", "cg_0.maxGapMs[>= 10]", "cg_0.maxGapMs[>= 10] #3");
        assertThat(v.table()).contains("cg_0.maxGapMs[<= 100]").contains("cg_0.maxGapMs[>= 10]");
    }

    @Test
    void comparatorsAndCodeDerivedLabels() {
        CgroupStats s = cgroup("cg_0", Optional.empty(), worker(1000, 900, 20, List.of(0)), worker(1000, 900, 40, List.of(1)));
        Verdict v = Assert.defaults().verdict();
        v.claim(CgroupStats::maxGapMs, s).atMost(100)
                .claim(CgroupStats::maxGapMs, s).eq(40)
                .claim(CgroupStats::maxGapMs, s).ne(41)
                .claim(CgroupStats::maxGapMs, s).atLeast(40)
                .claim(CgroupStats::maxGapMs, s).lt(41)
                .claim(CgroupStats::maxGapMs, s).gt(39)
                .claim(CgroupStats::maxGapMs, s).between(30, 50)
                .claim(CgroupStats::maxGapMs, s).isFinite()
                .claim(CgroupStats::maxGapMs, s).near(42, 2.5);
        assertThat(v.claims()).hasSize(9).allSatisfy(c -> {
            assertThat(c.label()).startsWith("cg_0.maxGapMs[");
            assertThat(c.outcome()).isEqualTo(Outcome.PASS);
        });
        // several claims on one metric: each row says which comparison it is
        assertThat(v.claims()).extracting(ClaimResult::label).doesNotHaveDuplicates()
                .contains("cg_0.maxGapMs[<= 100]", "cg_0.maxGapMs[>= 40]", "cg_0.maxGapMs[is finite]");
        assertThat(v.outcome()).isEqualTo(Outcome.PASS);
        assertThat(v.claims().get(0).limits()).containsExactly(100.0);
        assertThat(v.claims().get(6).limits()).containsExactly(30.0, 50.0);
        v.claim(CgroupStats::maxGapMs, s).atMost(10);
        assertThat(v.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(v.reason()).contains("cg_0.maxGapMs[<= 10] = 40, wanted <= 10");
        assertThat(v.table()).contains("cg_0.maxGapMs").contains("verdict: FAIL");
    }

    @Test
    void lambdasAreRejectedBecauseLabelsComeFromCode() {
        CgroupStats s = cgroup("cg_0", Optional.empty(), worker(1, 1, 1, List.of(0)));
        assertThatThrownBy(() -> Assert.defaults().verdict().claim(c -> c.maxGapMs() * 2, s))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("method reference");
    }

    @Test
    void outcomesAndExitCodes() {
        CgroupStats s = cgroup("cg_0", Optional.empty(), worker(1, 1, 1, List.of(0)));
        Verdict nan = Assert.defaults().verdict();
        nan.claim(CgroupStats::p99WakeLatencyUs, s).atMost(10); // no wake samples: NaN
        assertThat(nan.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        assertThat(nan.outcome().exitCode()).isEqualTo(3);
        assertThat(Assert.defaults().verdict().skip("no kernel").outcome()).isEqualTo(Outcome.SKIP);
        assertThat(Outcome.PASS.exitCode()).isZero();
        assertThat(Outcome.FAIL.exitCode()).isEqualTo(1);
        assertThat(Outcome.SKIP.exitCode()).isEqualTo(4);
        assertThat(Assert.defaults().verdict().fail("scheduler died").outcome()).isEqualTo(Outcome.FAIL);
    }

    @Test
    void setAndSequenceClaims() {
        CgroupStats s = cgroup("cg_0", Optional.empty(), worker(10, 1, 1, List.of(0, 1)), worker(20, 1, 1, List.of(2)));
        Verdict v = Assert.defaults().verdict();
        v.claimSet(CgroupStats::cpusUsed, s).subsetOf(List.of(0, 1));
        v.claimSeq(CgroupStats::workUnitsPerWorker, s).nonDecreasing();
        v.claimSeq(CgroupStats::workUnitsPerWorker, s).allAtLeast(10);
        assertThat(v.claims()).extracting(ClaimResult::label)
                .containsExactly("cg_0.cpusUsed", "cg_0.workUnitsPerWorker[is non-decreasing]",
                        "cg_0.workUnitsPerWorker[all >= 10]");
        assertThat(v.claims().get(0).outcome()).isEqualTo(Outcome.FAIL);
        assertThat(v.claims().get(0).detail()).contains("outside: [2]");
        assertThat(v.claims().get(1).outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void thresholdsLayerDefaultsThenSchedulerThenTest() {
        Assert scheduler = Assert.none().withMaxGapMs(50).withFairnessSpread(0.2);
        Assert test = Assert.none().withMaxGapMs(500);
        Assert a = Assert.defaults().overlay(scheduler).overlay(test);
        assertThat(a.maxGapMs()).isEqualTo(500);
        assertThat(a.fairnessSpread()).isEqualTo(0.2);
        assertThat(a.throughputCv()).isEqualTo(Assert.defaults().throughputCv());
    }

    @Test
    void standardChecksCatchStuckUnfairAndEscapedWorkers() {
        CgroupStats ok = cgroup("ok", Optional.of(cpus(0, 1)), worker(1000, 500, 5, List.of(0)), worker(1000, 500, 5, List.of(1)));
        assertThat(Assert.defaults().check(List.of(ok)).outcome()).isEqualTo(Outcome.PASS);

        CgroupStats escaped = cgroup("esc", Optional.of(cpus(0)), worker(1000, 500, 5, List.of(0)), worker(1000, 500, 5, List.of(0, 1)));
        Verdict v = Assert.defaults().check(List.of(escaped));
        assertThat(v.failures()).extracting(ClaimResult::label).containsExactly("esc.workersOutsideCpuset");

        CgroupStats stuck = cgroup("stuck", Optional.empty(), worker(1000, 500, 5, List.of(0)), worker(0, 0, 0, List.of(1)));
        assertThat(Assert.defaults().check(List.of(stuck)).failures()).extracting(ClaimResult::label)
                .contains("stuck.stuckWorkers", "stuck.fairnessSpread", "stuck.throughputCv");

        CgroupStats stalled = cgroup("stall", Optional.empty(), worker(1000, 500, 5000, List.of(0)));
        assertThat(Assert.defaults().check(List.of(stalled)).failures()).extracting(ClaimResult::label)
                .containsExactly("stall.maxGapMs");
        assertThat(Assert.defaults().withMaxGapMs(Double.NaN).check(List.of(stalled)).outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void resultFileRoundTripsTheMetrics(@TempDir Path dir) throws Exception {
        CgroupStats s = cgroup("cg_0", Optional.of(cpus(0, 1)), worker(1000, 500, 5, List.of(0)), worker(3000, 500, 7, List.of(1)));
        Verdict v = Assert.defaults().check(List.of(s));
        RunResult r = new RunResult("steady", java.time.Instant.EPOCH, java.time.Duration.ofSeconds(3),
                java.time.Duration.ofSeconds(3), "6.12.0", "/k/bzImage", new dev.jktstr.machine.Topology(1, 1, 2, 1), "qemu:tcg",
                "eevdf", "", Optional.empty(), List.of(s), v);
        Path f = r.write(dir.resolve("a/result.json"));
        String json = Files.readString(f);
        assertThat(json).contains("\"outcome\" : \"" + v.outcome() + "\"").contains("\"label\" : \"cg_0.maxGapMs\"")
                .contains("\"cpusUsed\"").contains("\"limits\" : [ 0.0 ]").contains("\"release\" : \"6.12.0\"").contains("\"cpuset\" : \"0-1\"");
        Map<String, Double> m = ResultJson.readMetrics(f);
        assertThat(m).containsEntry("steady/cg_0.maxGapMs", 7.0).containsEntry("steady/cg_0.totalWorkUnits", 4000.0);

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "[1,2");
        assertThatThrownBy(() -> ResultJson.readMetrics(bad)).isInstanceOf(ScenarioException.class).hasMessageContaining("bad.json");
        Files.writeString(bad, "{\"version\": 99}");
        assertThatThrownBy(() -> ResultJson.readMetrics(bad)).isInstanceOf(ScenarioException.class).hasMessageContaining("version 99");
    }
}
