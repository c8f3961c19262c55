package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Rq clock stalls and worker gaps judged against what the host gave the vCPU ({@link HostTimeline}), over synthetic
 * snapshot series and host readings (no guest): a stall the host caused is INCONCLUSIVE, never FAIL; one the guest
 * caused (its vCPU ran, or slept with tasks runnable) still FAILs.
 */
class HostJudgementTest {
    private static final long MS = 1_000_000L;

    /** 12 samples 250 ms apart; CPU 0 runnable (2 tasks, spinner current) with its clock frozen in samples 2–9. */
    private static List<Snapshot> frozenCpu0(long spacingMs) {
        List<Snapshot> s = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            long clock0 = i >= 2 && i <= 9 ? 5000 : 1000L * i;
            s.add(new Snapshot(Instant.EPOCH, i * spacingMs * MS, 100_000,
                    List.of(new RunqueueState(0, 2L, clock0, 42, "spin", 0L, 0L, 0L, 0L, List.of()),
                            new RunqueueState(1, 1L, 1000L * i + 7, 43, "spin", 0L, 0L, 0L, 0L, List.of())),
                    null, List.of(), List.of(), List.of(), List.of()));
        }
        return s;
    }

    /**
     * Host readings every 20 ms over 0..3 s for two vCPUs, each with its own thread: {@code runs}, {@code waits},
     * {@code stopped} say per reading what vCPU 0 did in the 20 ms before it; vCPU 1 always ran.
     */
    private static HostTimeline timeline(java.util.function.IntPredicate runs, java.util.function.IntPredicate waits,
            java.util.function.IntPredicate stopped, int sharedBy) {
        int n = 151;
        long[] at = new long[n];
        long[][] ran = new long[2][n];
        long[][] waited = new long[2][n];
        boolean[][] st = new boolean[2][n];
        for (int i = 0; i < n; i++) {
            at[i] = i * 20 * MS;
            if (i > 0) {
                ran[0][i] = ran[0][i - 1] + (runs.test(i) ? 20 * MS : 0) * sharedBy;
                waited[0][i] = waited[0][i - 1] + (waits.test(i) ? 20 * MS : 0);
                ran[1][i] = ran[1][i - 1] + 20 * MS * sharedBy;
            }
            st[0][i] = stopped.test(i);
        }
        return HostTimeline.of(at, ran, waited, st, sharedBy);
    }

    private static final java.util.function.IntPredicate ALWAYS = i -> true;
    private static final java.util.function.IntPredicate NEVER = i -> false;
    /** Readings 25..125 (0.5–2.5 s) cover the frozen samples 2–9 (0.5–2.25 s). */
    private static final java.util.function.IntPredicate DURING = i -> i >= 25 && i <= 125;

    private static Verdict judge(MonitorSummary m) {
        Verdict v = Assert.defaults().verdict();
        Assert.defaults().check(v, m);
        return v;
    }

    private static ClaimResult stallClaim(Verdict v) {
        return v.claims().stream().filter(c -> c.label().equals("monitor.rqClockStalls")).findFirst().orElseThrow();
    }

    @Test
    void aStallWhileTheHostHadTheVcpuStoppedIsInconclusive() {
        HostTimeline h = timeline(DURING.negate(), NEVER, DURING, 1);
        MonitorSummary m = MonitorSummary.of(frozenCpu0(250), false, List.of(), h::share);
        assertThat(m.stalls()).hasSize(1);
        assertThat(m.judgedStalls().getFirst().cause()).isEqualTo("host");
        assertThat(m.hostCausedStalls()).isEqualTo(1);
        assertThat(m.guestStalls()).isZero();
        Verdict v = judge(m);
        ClaimResult c = stallClaim(v);
        assertThat(c.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        assertThat(c.value()).isEqualTo(1); // the stall is still counted and shown
        assertThat(c.detail()).contains("cpu 0, samples 2–9 (1750 ms, 2 runnable, current spin/42): host — ran 0 ms of 1750 ms")
                .contains("stopped 1750 ms").contains("the host did not run the vCPU");
        assertThat(v.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        assertThat(v.reason()).startsWith("monitor.rqClockStalls could not be decided: cpu 0");
        assertThat(m.describe()).contains("1 rq clock stall(s) (1 while the host held the vCPU back)");
    }

    @Test
    void aStallWhileTheVcpuWaitedForAHostCpuIsInconclusive() {
        HostTimeline h = timeline(DURING.negate(), DURING, NEVER, 1);
        MonitorSummary m = MonitorSummary.of(frozenCpu0(250), false, List.of(), h::share);
        assertThat(m.judgedStalls().getFirst().cause()).isEqualTo("host");
        assertThat(m.judgedStalls().getFirst().host()).contains("held back 1750 ms").doesNotContain("stopped");
        assertThat(stallClaim(judge(m)).outcome()).isEqualTo(Outcome.INCONCLUSIVE);
    }

    @Test
    void aStallWhileTheVcpuRanIsTheGuestsAndFails() {
        HostTimeline h = timeline(ALWAYS, NEVER, NEVER, 1);
        MonitorSummary m = MonitorSummary.of(frozenCpu0(250), false, List.of(), h::share);
        assertThat(m.judgedStalls().getFirst().cause()).isEqualTo("guest");
        assertThat(m.judgedStalls().getFirst().host()).startsWith("ran 1750 ms of 1750 ms on the host");
        Verdict v = judge(m);
        assertThat(stallClaim(v).outcome()).isEqualTo(Outcome.FAIL);
        assertThat(v.outcome()).isEqualTo(Outcome.FAIL);
    }

    @Test
    void aStallWhileTheVcpuSleptIsTheGuestHaltingWithTasksRunnableAndFails() {
        // neither ran, nor waited, nor was stopped: the guest halted the vCPU although 2 tasks were runnable
        HostTimeline h = timeline(DURING.negate(), NEVER, NEVER, 1);
        MonitorSummary m = MonitorSummary.of(frozenCpu0(250), false, List.of(), h::share);
        assertThat(m.judgedStalls().getFirst().cause()).isEqualTo("guest-halted");
        assertThat(stallClaim(judge(m)).outcome()).isEqualTo(Outcome.FAIL);
    }

    @Test
    void aSharedThreadCountsItsTimeOncePerVcpuItRuns() {
        // single-threaded TCG, two vCPUs: a thread that ran 30% of the time gave each 15%: they ran
        HostTimeline busy = HostTimeline.of(new long[] {0, 1000 * MS, 2000 * MS}, new long[][] {{0, 300 * MS, 600 * MS}},
                new long[][] {{0, 700 * MS, 1400 * MS}}, new boolean[][] {{false, false, false}}, 2);
        assertThat(busy.share(0, 0, 2000 * MS).orElseThrow().barelyRan()).isFalse();
        // one that ran 15% gave each 7.5%, while it waited for a host CPU the rest: starved
        HostTimeline shared = HostTimeline.of(new long[] {0, 1000 * MS, 2000 * MS}, new long[][] {{0, 150 * MS, 300 * MS}},
                new long[][] {{0, 850 * MS, 1700 * MS}}, new boolean[][] {{false, false, false}}, 2);
        HostTimeline.Share s = shared.share(0, 0, 2000 * MS).orElseThrow();
        assertThat(s.ranNanos()).isEqualTo(150 * MS); // 300 ms of thread time, two vCPUs
        assertThat(s.barelyRan()).isTrue();
        assertThat(s.heldBack()).isTrue();
        assertThat(s.describe()).contains("(its share of one thread for 2 vCPUs)");
    }

    /**
     * Seen under TCG on a 2-core CI host: over a 6 s rq clock stall the vCPU ran 21% and waited for a host CPU 51%.
     * The host kept it from running more than it let it: not the guest's stall. One that ran longer than it waited is.
     */
    @Test
    void aVcpuHeldBackLongerThanItRanIsTheHostsEvenIfItRanSome() {
        HostTimeline crowded = HostTimeline.of(new long[] {0, 1000 * MS}, new long[][] {{0, 210 * MS}},
                new long[][] {{0, 510 * MS}}, new boolean[][] {{false, false}}, 1);
        HostTimeline.Share s = crowded.share(0, 0, 1000 * MS).orElseThrow();
        assertThat(s.barelyRan()).isFalse();
        assertThat(s.hostDominated()).isTrue();
        HostTimeline slowed = HostTimeline.of(new long[] {0, 1000 * MS}, new long[][] {{0, 450 * MS}},
                new long[][] {{0, 500 * MS}}, new boolean[][] {{false, false}}, 1);
        assertThat(slowed.share(0, 0, 1000 * MS).orElseThrow().hostDominated()).isTrue();
        HostTimeline ranMore = HostTimeline.of(new long[] {0, 1000 * MS}, new long[][] {{0, 480 * MS}},
                new long[][] {{0, 470 * MS}}, new boolean[][] {{false, false}}, 1);
        assertThat(ranMore.share(0, 0, 1000 * MS).orElseThrow().hostDominated()).isFalse();
    }

    @Test
    void withoutHostTimesAStallFailsAsBefore() {
        MonitorSummary m = MonitorSummary.of(frozenCpu0(250), false, List.of());
        assertThat(m.judgedStalls().getFirst().cause()).isEqualTo("unknown");
        assertThat(stallClaim(judge(m)).outcome()).isEqualTo(Outcome.FAIL);
    }

    @Test
    void oneGuestStallAmongHostOnesFails() {
        List<Snapshot> s = frozenCpu0(250);
        // CPU 1 frozen too in samples 2–9, but its vCPU always ran
        List<Snapshot> both = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            Snapshot x = s.get(i);
            RunqueueState r1 = x.runqueues().get(1);
            long c1 = i >= 2 && i <= 9 ? 777 : r1.clock();
            both.add(new Snapshot(x.takenAt(), x.monotonicNanos(), x.pausedNanos(), List.of(x.runqueues().get(0),
                    new RunqueueState(1, 1L, c1, 43, "spin", 0L, 0L, 0L, 0L, List.of())), null, List.of(), List.of(),
                    List.of(), List.of()));
        }
        HostTimeline h = timeline(DURING.negate(), NEVER, DURING, 1);
        MonitorSummary m = MonitorSummary.of(both, false, List.of(), h::share);
        assertThat(m.judgedStalls()).extracting(MonitorSummary.JudgedStall::cause).containsExactlyInAnyOrder("host", "guest");
        assertThat(stallClaim(judge(m)).outcome()).isEqualTo(Outcome.FAIL);
    }

    @Test
    void samplesTakenBackToBackAfterADelayMakeNoStall() {
        // a fixed-rate sampler held up by a busy host takes its missed samples in a burst: 8 samples in 140 ms
        MonitorSummary m = MonitorSummary.of(frozenCpu0(20), false, List.of());
        assertThat(m.stalls()).isEmpty();
        assertThat(stallClaim(judge(m)).outcome()).isEqualTo(Outcome.PASS);
    }

    @Test
    void aTimelineSplitsAnIntervalIntoRanHeldAndStopped() {
        HostTimeline h = timeline(i -> i <= 50, i -> i > 50 && i <= 100, i -> i > 100, 1);
        HostTimeline.Share ran = h.share(0, 0, 1000 * MS).orElseThrow();
        assertThat(ran.ranNanos()).isEqualTo(1000 * MS);
        assertThat(ran.heldNanos()).isZero();
        HostTimeline.Share waited = h.share(0, 1010 * MS, 1990 * MS).orElseThrow();
        assertThat(waited.ranNanos()).isZero();
        assertThat(waited.heldNanos()).isEqualTo(980 * MS);
        HostTimeline.Share stopped = h.share(0, 2100 * MS, 2900 * MS).orElseThrow();
        assertThat(stopped.stoppedNanos()).isEqualTo(800 * MS);
        assertThat(stopped.blameNanos()).isEqualTo(800 * MS);
        // interpolated between readings
        assertThat(h.share(0, 5 * MS, 15 * MS).orElseThrow().ranNanos()).isEqualTo(10 * MS);
        // outside (or mostly outside) what was recorded: not known
        assertThat(h.share(0, 2500 * MS, 9000 * MS)).isEmpty();
        assertThat(h.share(5, 0, 1000 * MS)).isEmpty();
    }

    @Test
    void starvedTimeCountsWindowsTheHostDominatedNotOnesTheVcpuRanOrSlept() {
        // 0–1 s: a busy host gives the vCPU one 20 ms reading in four (25%), it waits the rest: the waits are the host's
        // 1–2 s: stopped: all of it; 2–3 s: slept (neither ran, waited nor stopped: the guest halted it): none
        HostTimeline h = timeline(i -> i <= 50 && i % 4 == 0, i -> i <= 50 && i % 4 != 0, i -> i > 50 && i <= 100, 1);
        assertThat(h.starvedNanos(0, 0, 1000 * MS).orElseThrow()).isBetween(700 * MS, 800 * MS);
        assertThat(h.starvedNanos(0, 1000 * MS, 2000 * MS).orElseThrow()).isBetween(900 * MS, 1000 * MS);
        assertThat(h.starvedNanos(0, 2000 * MS, 3000 * MS).orElseThrow()).isLessThanOrEqualTo(100 * MS);
        assertThat(h.starvedNanos(0, 0, 3000 * MS).orElseThrow()).isBetween(1600 * MS, 1900 * MS);
        assertThat(h.starvedNanos(0, 2500 * MS, 9000 * MS)).isEmpty();
        // ran longer than it waited (three readings in five): slowed, not starved
        HostTimeline even = timeline(i -> i % 5 >= 1 && i % 5 <= 3, i -> i % 5 == 0 || i % 5 == 4, i -> false, 1);
        assertThat(even.starvedNanos(0, 0, 1000 * MS)).hasValue(0L);
    }

    // ---------------------------------------------------------------- worker gaps

    private static WorkerTelemetry worker(int pid, long gapMs) {
        return new WorkerTelemetry(pid, true, 1000, 1000, 900 * MS, 5000 * MS, 1000, 10, 1, List.of(0),
                gapMs * MS, 0, 4000 * MS, 0, 0, 0, 0, 3, 4);
    }

    private static ClaimResult gapClaim(CgroupStats c) {
        Verdict v = Assert.defaults().withMaxGapMs(2000).check(List.of(c));
        return v.claims().stream().filter(x -> x.label().equals("cg_0.maxGapMs")).findFirst().orElseThrow();
    }

    @Test
    void aGapTheHostHeldTheVcpuThroughIsInconclusive() {
        CgroupStats c = new CgroupStats("cg_0", "SPIN_WAIT", false, Optional.empty(), List.of(worker(1, 3000), worker(2, 100)),
                List.of(new CgroupStats.GapHost(2900 * MS, "ran 10 ms of 3000 ms on the host, held back 2900 ms (stopped 2900 ms)"),
                        new CgroupStats.GapHost(0, "ran 100 ms of 100 ms on the host, held back 0 ms")));
        assertThat(c.maxGapMs()).isEqualTo(3000);
        assertThat(c.maxGuestGapMs()).isEqualTo(100);
        ClaimResult g = gapClaim(c);
        assertThat(g.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        assertThat(g.value()).isEqualTo(3000);
        assertThat(g.detail()).startsWith("worst gap 3000 ms (pid 1, cpu 0): the host was to blame for 2900 ms of it")
                .contains("the guest's part 100 ms").contains("the guest's part of every gap is within the limit");
    }

    @Test
    void aGapTheGuestMadeFailsWhateverTheHostDid() {
        CgroupStats c = new CgroupStats("cg_0", "SPIN_WAIT", false, Optional.empty(), List.of(worker(1, 3000), worker(2, 2600)),
                List.of(new CgroupStats.GapHost(2900 * MS, "stopped"), new CgroupStats.GapHost(100 * MS, "ran")));
        assertThat(c.maxGuestGapMs()).isEqualTo(2500);
        assertThat(gapClaim(c).outcome()).isEqualTo(Outcome.FAIL);
        // not known: the whole gap is the guest's, as before
        CgroupStats unknown = new CgroupStats("cg_0", "SPIN_WAIT", false, Optional.empty(), List.of(worker(1, 3000)));
        assertThat(unknown.maxGuestGapMs()).isEqualTo(3000);
        assertThat(unknown.gapHostDetail()).isEmpty();
        assertThat(gapClaim(unknown).outcome()).isEqualTo(Outcome.FAIL);
        // within the limit: PASS, the host's share shown
        CgroupStats fine = new CgroupStats("cg_0", "SPIN_WAIT", false, Optional.empty(), List.of(worker(1, 1500)),
                List.of(new CgroupStats.GapHost(1400 * MS, "stopped")));
        assertThat(gapClaim(fine).outcome()).isEqualTo(Outcome.PASS);
        assertThat(gapClaim(fine).detail()).contains("the host was to blame for 1400 ms");
    }
}
