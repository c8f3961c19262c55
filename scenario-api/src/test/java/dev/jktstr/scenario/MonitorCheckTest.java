package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.introspect.DsqState;
import dev.jktstr.introspect.FieldError;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.SchedExtState;
import dev.jktstr.introspect.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor checks over synthetic snapshot series (no guest). */
class MonitorCheckTest {
    private static final List<String> LABELS = List.of("monitor.imbalanceP90", "monitor.maxLocalDsqDepth",
            "monitor.rqClockStalls", "monitor.schedExtErrorExits");

    /** One sample: per CPU {nr_running, clock, local DSQ depth}. */
    private static Snapshot sample(int i, String exitKind, long[]... cpus) {
        List<RunqueueState> rqs = new ArrayList<>();
        for (int c = 0; c < cpus.length; c++) {
            rqs.add(new RunqueueState(c, cpus[c][0], cpus[c][1], 1, "spin", 0L, cpus[c][0], 0L, cpus[c][2], List.of()));
        }
        SchedExtState scx = new SchedExtState(exitKind.equals("SCX_EXIT_NONE"), exitKind.equals("SCX_EXIT_NONE")
                ? "enabled" : "disabled", "simple", exitKind, null, null, null, 7500L, true, Map.of(), List.of());
        return new Snapshot(Instant.EPOCH.plusMillis(250L * i), 250_000_000L * i, 100_000, rqs, scx, List.of(), List.of(),
                List.of(), List.of());
    }

    /** A healthy series: clocks advance, at most one task of difference, shallow DSQs. */
    private static List<Snapshot> healthy(int n) {
        List<Snapshot> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(sample(i, "SCX_EXIT_NONE", new long[] {1 + i % 2, 1000L * i, i % 2}, new long[] {1, 1000L * i + 5, 0}));
        }
        return s;
    }

    private static Verdict judge(MonitorSummary m, Assert thresholds) {
        Verdict v = thresholds.verdict();
        thresholds.check(v, m);
        return v;
    }

    @Test
    void healthySeriesPassesEveryCheckWithCodeDerivedLabels() {
        MonitorSummary m = MonitorSummary.of(healthy(10), true, List.of());
        assertThat(m.samples()).isEqualTo(10);
        assertThat(m.maxImbalance()).isEqualTo(1);
        assertThat(m.p90Imbalance()).isEqualTo(1);
        assertThat(m.meanImbalance()).isEqualTo(0.5);
        assertThat(m.maxLocalDsqDepth()).isEqualTo(1);
        assertThat(m.stalls()).isEmpty();
        assertThat(m.schedExtState()).isEqualTo("enabled");
        Verdict v = judge(m, Assert.defaults());
        assertThat(v.claims()).extracting(ClaimResult::label).containsExactlyElementsOf(LABELS);
        assertThat(v.outcome()).as(v.table()).isEqualTo(Outcome.PASS);
    }

    @Test
    void imbalanceIsJudgedOnItsP90() {
        List<Snapshot> s = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            // 9 balanced samples and one spike of 6: the p90 ignores the spike, the max records it
            long nr = i == 9 ? 7 : 1;
            s.add(sample(i, "SCX_EXIT_NONE", new long[] {nr, 10L * i, 0}, new long[] {1, 10L * i, 0}));
        }
        MonitorSummary m = MonitorSummary.of(s, false, List.of());
        assertThat(m.maxImbalance()).isEqualTo(6);
        assertThat(m.imbalanceP90()).isEqualTo(0);
        assertThat(judge(m, Assert.defaults()).outcome()).isEqualTo(Outcome.PASS);

        List<Snapshot> skewed = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            skewed.add(sample(i, "SCX_EXIT_NONE", new long[] {6, 10L * i, 0}, new long[] {0, 10L * i, 0}));
        }
        Verdict v = judge(MonitorSummary.of(skewed, false, List.of()), Assert.defaults());
        assertThat(v.failures()).extracting(ClaimResult::label).containsExactly("monitor.imbalanceP90");
        // layered: a test that expects skew raises the limit
        assertThat(judge(MonitorSummary.of(skewed, false, List.of()), Assert.defaults().overlay(Assert.none().withMaxImbalance(6)))
                .outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void deepLocalDsqFails() {
        List<Snapshot> s = healthy(5);
        s.add(sample(5, "SCX_EXIT_NONE", new long[] {1, 99_000, 40}, new long[] {1, 99_000, 0}));
        MonitorSummary m = MonitorSummary.of(s, true, List.of());
        assertThat(m.maxLocalDsqDepth()).isEqualTo(40);
        assertThat(judge(m, Assert.defaults()).failures()).extracting(ClaimResult::label)
                .containsExactly("monitor.maxLocalDsqDepth");
        assertThat(judge(m, Assert.defaults().withMaxLocalDsqDepth(64)).outcome()).isEqualTo(Outcome.PASS);
        assertThat(judge(m, Assert.defaults().withMaxLocalDsqDepth(Double.NaN)).claims()).extracting(ClaimResult::label)
                .doesNotContain("monitor.maxLocalDsqDepth");
    }

    @Test
    void frozenClockOnARunnableCpuIsAStallButNotOnAnIdleOne() {
        List<Snapshot> s = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            long frozen = i >= 2 && i < 7 ? 5000 : 1000L * i; // CPU 0 runnable, clock stuck for 5 samples
            s.add(sample(i, "SCX_EXIT_NONE", new long[] {2, frozen, 0}, new long[] {0, 42, 0})); // CPU 1 idle, clock stopped
        }
        MonitorSummary m = MonitorSummary.of(s, true, List.of());
        assertThat(m.stalls()).hasSize(1);
        assertThat(m.stalls().getFirst().cpu()).isZero();
        Verdict v = judge(m, Assert.defaults());
        assertThat(v.failures()).extracting(ClaimResult::label).containsExactly("monitor.rqClockStalls");
        assertThat(judge(m, Assert.defaults().withNoRqClockStall(false)).outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void errorExitFailsOnlyWhileASchedExtSchedulerIsExpected() {
        List<Snapshot> s = healthy(4);
        s.add(sample(4, "SCX_EXIT_ERROR_STALL", new long[] {1, 9000, 0}, new long[] {1, 9005, 0}));
        MonitorSummary expected = MonitorSummary.of(s, true, List.of());
        assertThat(expected.errorExitSamples()).isEqualTo(1);
        assertThat(expected.exitKind()).isEqualTo("SCX_EXIT_ERROR_STALL");
        assertThat(judge(expected, Assert.defaults()).failures()).extracting(ClaimResult::label)
                .containsExactly("monitor.schedExtErrorExits");
        Verdict eevdf = judge(MonitorSummary.of(s, false, List.of()), Assert.defaults());
        assertThat(eevdf.claims()).extracting(ClaimResult::label).doesNotContain("monitor.schedExtErrorExits");
        // a clean stop is not an error
        List<Snapshot> done = healthy(4);
        done.add(sample(4, "SCX_EXIT_UNREG", new long[] {1, 9000, 0}, new long[] {1, 9005, 0}));
        assertThat(judge(MonitorSummary.of(done, true, List.of()), Assert.defaults()).outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void unavailableIntrospectionIsInconclusiveAndOffMakesNoClaims() {
        Verdict v = judge(MonitorSummary.notSampled("unavailable: attaching failed", List.of()), Assert.defaults());
        assertThat(v.claims()).isNotEmpty().allMatch(c -> c.outcome() == Outcome.INCONCLUSIVE)
                .extracting(ClaimResult::label).contains("monitor.maxGlobalDsqDepth");
        assertThat(v.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        Verdict off = judge(MonitorSummary.notSampled("off: no vmlinux", List.of()), Assert.defaults());
        assertThat(off.claims()).isEmpty();
        assertThat(off.outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void unreadableFieldsAreCountedAndSkipped() {
        List<Snapshot> s = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<RunqueueState> rqs = List.of(
                    new RunqueueState(0, 1L, 100L * i, null, null, null, null, null, null,
                            List.of(new FieldError("rq[0].scx", "UnmappedAddressException", "x"))),
                    new RunqueueState(1, null, null, null, null, null, null, null, null,
                            List.of(new FieldError("rq[1]", "CorruptGuestDataException", "y"))));
            s.add(new Snapshot(Instant.EPOCH, i, 0, rqs, null, List.of(), List.of(), List.of(), List.of()));
        }
        MonitorSummary m = MonitorSummary.of(s, false, List.of());
        assertThat(m.fieldErrors()).isEqualTo(6);
        assertThat(m.imbalanceP90()).isZero();
        assertThat(m.hasSchedExt()).isFalse();
        // no sched_ext on this kernel: no DSQ claim; nothing else fails
        Verdict v = judge(m, Assert.defaults());
        assertThat(v.claims()).extracting(ClaimResult::label).containsExactly("monitor.imbalanceP90", "monitor.rqClockStalls");
        assertThat(v.outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void summaryIsInTheResultFile(@TempDir Path dir) throws Exception {
        MonitorSummary m = MonitorSummary.of(healthy(6), true, List.of(healthy(1).getFirst()));
        Verdict v = judge(m, Assert.defaults());
        RunResult r = new RunResult("steady", Instant.EPOCH, Duration.ofSeconds(3), Duration.ofSeconds(3), "6.12", "bzImage",
                new dev.jktstr.machine.Topology(1, 1, 2, 1), "qemu", "scx_simple", "enabled", Optional.empty(), List.of(), v, m);
        String json = Files.readString(r.write(dir.resolve("r.json")));
        assertThat(json).contains("\"monitor\"", "\"samples\" : 6", "\"maxImbalance\" : 1.0", "\"maxLocalDsqDepth\" : 1.0",
                "\"stalls\" : [ ]", "\"exitKind\" : \"SCX_EXIT_NONE\"", "\"snapshots\"", "\"runqueues\"", "monitor.imbalanceP90");
        assertThat(ResultJson.readMetrics(dir.resolve("r.json"))).isEmpty();
    }

    /** A healthy series whose samples carry DSQs: local per CPU, one global per node, the scheduler's user DSQs. */
    private static List<Snapshot> withDsqs(List<Snapshot> series, long globalDepth, long... userDepths) {
        List<Snapshot> out = new ArrayList<>();
        for (Snapshot s : series) {
            List<DsqState> d = new ArrayList<>();
            d.add(new DsqState("local", 0, Long.MIN_VALUE | 2, 0, 1));
            d.add(new DsqState("local", 1, Long.MIN_VALUE | 2, 1, 1));
            d.add(new DsqState("global", 0, Long.MIN_VALUE | 1, globalDepth, 1));
            for (int u = 0; u < userDepths.length; u++) {
                d.add(new DsqState("user", -1, u, userDepths[u], 1));
            }
            out.add(new Snapshot(s.takenAt(), s.monotonicNanos(), s.pausedNanos(), s.runqueues(), s.schedExt(), d, List.of(),
                    List.of(), List.of()));
        }
        return out;
    }

    @Test
    void globalAndUserDsqDepthsAreReportedAndJudged() {
        MonitorSummary m = MonitorSummary.of(withDsqs(healthy(8), 3, 5, 0), true, List.of());
        assertThat(m.dsqsSampled()).isTrue();
        assertThat(m.maxGlobalDsqDepth()).isEqualTo(3);
        assertThat(m.maxUserDsqDepth()).isEqualTo(5);
        assertThat(m.userDsqIds()).containsExactly(0L, 1L);
        assertThat(m.dsqDepths()).extracting(MonitorSummary.DsqDepth::name)
                .containsExactly("local[cpu 0]", "local[cpu 1]", "global[node 0]", "user 0x0", "user 0x1");
        assertThat(m.dsqDepths()).allSatisfy(d -> assertThat(d.samples()).isEqualTo(8));
        assertThat(m.describe()).contains("global DSQ max 3, user DSQs 0x0 max 5 0x1 max 0");
        Verdict v = judge(m, Assert.defaults());
        assertThat(v.claims()).extracting(ClaimResult::label).endsWith("monitor.maxGlobalDsqDepth"); // user: off by default
        assertThat(v.outcome()).isEqualTo(Outcome.PASS);
        // a deep global DSQ fails; a user DSQ limit, once set, judges the deepest user DSQ
        Verdict deep = judge(MonitorSummary.of(withDsqs(healthy(8), 40), true, List.of()), Assert.defaults());
        assertThat(deep.failures()).extracting(ClaimResult::label).containsExactly("monitor.maxGlobalDsqDepth");
        Verdict user = judge(m, Assert.defaults().withMaxUserDsqDepth(4));
        assertThat(user.failures()).extracting(ClaimResult::label).containsExactly("monitor.maxUserDsqDepth");
    }

    @Test
    void dsqChecksAreSkippedUnderEevdfAndInconclusiveWithoutAGlobalDsq() {
        // EEVDF: the kernel has DSQs (local ones at least) but nothing uses them: SKIP with the reason, PASS overall
        List<Snapshot> eevdf = new ArrayList<>();
        for (Snapshot s : healthy(6)) {
            eevdf.add(new Snapshot(s.takenAt(), s.monotonicNanos(), s.pausedNanos(), s.runqueues(), s.schedExt(),
                    List.of(new DsqState("local", 0, Long.MIN_VALUE | 2, 0, 0)), List.of(), List.of(), List.of()));
        }
        Verdict v = judge(MonitorSummary.of(eevdf, false, List.of()), Assert.defaults().withMaxUserDsqDepth(8));
        assertThat(v.claims()).filteredOn(c -> c.outcome() == Outcome.SKIP).extracting(ClaimResult::label)
                .containsExactly("monitor.maxGlobalDsqDepth", "monitor.maxUserDsqDepth");
        assertThat(v.claims()).filteredOn(c -> c.outcome() == Outcome.SKIP)
                .allSatisfy(c -> assertThat(c.detail()).startsWith("no sched_ext scheduler attached (EEVDF)"));
        assertThat(v.outcome()).isEqualTo(Outcome.PASS);
        assertThat(v.table()).contains("SKIP  (no sched_ext scheduler attached (EEVDF)");
        // a scheduler is attached but no global DSQ was found: INCONCLUSIVE, saying so
        Verdict none = judge(MonitorSummary.of(eevdf, true, List.of()), Assert.defaults());
        assertThat(none.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        assertThat(none.reason()).contains("monitor.maxGlobalDsqDepth could not be decided: no global DSQ found in 6 samples");
    }

    @Test
    void dsqsAreInTheResultFile(@TempDir Path dir) throws Exception {
        MonitorSummary m = MonitorSummary.of(withDsqs(healthy(4), 2, 7), true, List.of());
        RunResult r = new RunResult("steady", Instant.EPOCH, Duration.ofSeconds(3), Duration.ofSeconds(3), "6.12", "bzImage",
                new dev.jktstr.machine.Topology(1, 1, 2, 1), "qemu", "scx_qmap", "enabled", Optional.empty(), List.of(),
                judge(m, Assert.defaults()), m);
        String json = Files.readString(r.write(dir.resolve("r.json")));
        assertThat(json).contains("\"dsqs\" : {", "\"sampled\" : true", "\"maxGlobalDepth\" : 2.0", "\"maxUserDepth\" : 7.0",
                "\"kind\" : \"user\"", "\"id\" : \"0x0\"", "\"id\" : \"0x8000000000000001\"");
    }

    @Test
    void snapshotOpValidatesAnywhere() {
        Scenarios.validate(new dev.jktstr.machine.Topology(1, 1, 2, 1), List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0").workers(1)), Op.snapshot()),
                Step.of(HoldSpec.loop(0.5, Duration.ofMillis(100)), Op.snapshot())));
    }
}
