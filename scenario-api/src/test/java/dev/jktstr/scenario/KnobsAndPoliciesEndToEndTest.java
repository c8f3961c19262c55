package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.testsupport.BootsVm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Cgroup knobs and scheduling policies taking effect inside one guest (QEMU TCG, 1,1,2,1, EEVDF), several runs in it.
 * The oracles are the guest's own: a knob's file read back by a second, independent shell read; CPU shares from each
 * worker's own CPU time over its wall time (the kernel's accounting, not ours). Knobs whose controller the test
 * kernel lacks (its config) skip naming the option.
 */
@BootsVm
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KnobsAndPoliciesEndToEndTest {
    private static Ctx ctx;

    @BeforeAll
    static void boot() {
        ctx = TestAssets.vm().scheduler(Scheduler.eevdf()).duration(Duration.ofSeconds(4)).boot();
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    /** Whether the test kernel was built with {@code option=y} (its config beside the image). */
    private static void assumeKernelHas(String option) throws IOException {
        Path config = TestAssets.kernelDir().resolve("config");
        assumeTrue(Files.isReadable(config), "no kernel config at " + config + " to tell whether " + option + " is set");
        assumeTrue(Files.readAllLines(config).contains(option + "=y"), "the test kernel lacks " + option
                + " (" + config + "): its controller file does not exist in the guest");
    }

    /** The share of one CPU the cgroup's workers got, from their own CPU and wall times. */
    private static double cpuShare(CgroupStats s) {
        long cpu = s.workers().stream().mapToLong(WorkerTelemetry::cpuNanos).sum();
        long wall = s.workers().stream().mapToLong(WorkerTelemetry::wallNanos).max().orElse(0);
        return wall == 0 ? Double.NaN : (double) cpu / wall;
    }

    @Test
    @Order(1)
    void knobsAreWrittenAndReadBackFromInsideTheGuest() throws IOException {
        assumeKernelHas("CONFIG_CGROUP_PIDS");
        RunResult r = Scenarios.executeSteps(ctx, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("knobs").workers(2)
                        .knob(CgroupKnob.cpuWeight(300), CgroupKnob.pidsMax(64), CgroupKnob.cpusetMems(0)))),
                Step.of(HoldSpec.fraction(0.5), Op.setKnob("knobs", CgroupKnob.pidsMax(16)),
                        Op.setKnob("knobs", CgroupKnob.cpuWeight(50)),
                        Op.readKernelValue("/sys/fs/cgroup/knobs/pids.max"),
                        Op.readKernelValue("/sys/fs/cgroup/knobs/cpu.weight"))));
        System.out.printf("knobs:%n%s%s%n", r.verdict().table(), r.verdict().notes());
        assertThat(r.verdict().notes()).anyMatch(n -> n.contains("knobs cpu.weight = 300: verified"))
                .anyMatch(n -> n.contains("knobs pids.max = 64: verified"))
                .anyMatch(n -> n.contains("knobs cpuset.mems = 0: verified"))
                .anyMatch(n -> n.contains("knobs pids.max = 16: verified"))
                // the independent read (a separate op, plain cat) sees the mid-run values
                .anyMatch(n -> n.equals("/sys/fs/cgroup/knobs/pids.max = 16"))
                .anyMatch(n -> n.equals("/sys/fs/cgroup/knobs/cpu.weight = 50"));
    }

    @Test
    @Order(2)
    void aKnobTheKernelLacksFailsTheOpNamingTheOption() throws IOException {
        Path config = TestAssets.kernelDir().resolve("config");
        assumeTrue(Files.isReadable(config) && !Files.readAllLines(config).contains("CONFIG_MEMCG=y"),
                "the test kernel has CONFIG_MEMCG: memory.max exists, nothing to refuse");
        assertThatThrownBy(() -> Scenarios.execute(ctx, List.of(CgroupDef.named("nomem")
                .knob(CgroupKnob.memoryMax(64 << 20))))).isInstanceOf(ScenarioException.class)
                .hasMessageContaining("has no memory.max").hasMessageContaining("CONFIG_MEMCG");
    }

    @Test
    @Order(3)
    void cpuMaxThrottlesASpinnerToItsQuota() throws IOException {
        assumeKernelHas("CONFIG_CFS_BANDWIDTH");
        RunResult r = Scenarios.execute(ctx, List.of(
                CgroupDef.named("capped").cpuset(CpusetSpec.cpus(1)).knob(CgroupKnob.cpuMax(25_000, 100_000)),
                CgroupDef.named("free").cpuset(CpusetSpec.cpus(0))));
        double capped = cpuShare(r.cgroup("capped")), free = cpuShare(r.cgroup("free"));
        System.out.printf("cpu.max 25%%: capped %.3f of a CPU, unthrottled %.3f%n", capped, free);
        assertThat(capped).isBetween(0.225, 0.275);
    }

    @Test
    @Order(4)
    void memoryMaxStopsAnAllocatorAtItsLimit() throws IOException {
        assumeKernelHas("CONFIG_MEMCG");
        // a 64 MiB working set under a 16 MiB limit without swap: the kernel's own counter of hitting the limit
        RunResult r = Scenarios.executeSteps(ctx, List.of(
                Step.of(HoldSpec.fraction(0.9), Op.addCgroup(CgroupDef.named("mem").work(WorkType.cachePressure(64 << 10))
                        .knob(CgroupKnob.memoryMax(16 << 20), CgroupKnob.swapMax(0)))),
                Step.of(HoldSpec.fraction(0.1), Op.readKernelValue("/sys/fs/cgroup/mem/memory.events"))));
        System.out.printf("memory.max:%n%s%n", r.verdict().notes());
        assertThat(r.verdict().notes()).anyMatch(n -> n.contains("mem memory.max = 16777216: verified"))
                .anyMatch(n -> n.matches("(?s)/sys/fs/cgroup/mem/memory.events = .*\\bmax [1-9].*"));
    }

    @Test
    @Order(5)
    void aFifoWorkerStarvesANormalOneOnTheSameCpu() {
        // the same pair without FIFO on CPU 0, in the same run, is the baseline: there they split the CPU evenly
        RunResult r = Scenarios.execute(ctx, List.of(
                CgroupDef.named("rt").policy(SchedPolicy.fifo(50)).affinity(CpusetSpec.cpus(1)),
                CgroupDef.named("fair").affinity(CpusetSpec.cpus(1)),
                CgroupDef.named("base_a").affinity(CpusetSpec.cpus(0)),
                CgroupDef.named("base_b").affinity(CpusetSpec.cpus(0))));
        double rt = cpuShare(r.cgroup("rt")), fair = cpuShare(r.cgroup("fair"));
        double a = cpuShare(r.cgroup("base_a")), b = cpuShare(r.cgroup("base_b"));
        System.out.printf("FIFO(50) vs NORMAL on CPU 1: rt %.3f, fair %.3f of the CPU (fair/rt %.3f); two NORMAL on CPU 0:"
                + " %.3f, %.3f (ratio %.3f)%n", rt, fair, fair / rt, a, b, Math.min(a, b) / Math.max(a, b));
        // what the normal task still gets is RT throttling's and 6.12's fair server's (5% each of guest time, more
        // under TCG, where a vCPU the host holds back is charged to whatever it was running)
        assertThat(Math.min(a, b) / Math.max(a, b)).as("baseline").isGreaterThan(0.7);
        assertThat(fair / rt).isLessThan(0.35);
        assertThat(rt).isGreaterThan(0.6);
    }

    @Test
    @Order(5)
    void aSingleCpuIntentPinsEachWorkerToItsOwnCpu() {
        RunResult r = Scenarios.execute(ctx, List.of(CgroupDef.named("single").workers(2)
                .affinity(AffinityIntent.singleCpu())));
        // the workers' own record of the CPUs they ran on (getcpu at each iteration), not our masks
        List<List<Integer>> used = r.cgroup("single").workers().stream().map(WorkerTelemetry::cpusUsed).toList();
        System.out.println("singleCpu: CPUs used per worker " + used);
        assertThat(used).containsExactlyInAnyOrder(List.of(0), List.of(1));

        // mid-run: both on CPU 0, then re-pinned by intent (worker i to the i-th CPU)
        RunResult moved = Scenarios.executeSteps(ctx, List.of(
                Step.of(HoldSpec.fraction(0.4), Op.addCgroup(CgroupDef.named("moved").workers(2)
                        .affinity(CpusetSpec.cpus(0)))),
                Step.of(HoldSpec.fraction(0.6), Op.setAffinity("moved", AffinityIntent.singleCpu()))));
        List<List<Integer>> movedUsed = moved.cgroup("moved").workers().stream().map(WorkerTelemetry::cpusUsed).toList();
        System.out.println("cpus(0) then setAffinity(singleCpu): CPUs used per worker " + movedUsed);
        assertThat(movedUsed).containsExactlyInAnyOrder(List.of(0), List.of(0, 1));
    }

    @Test
    @Order(6)
    void aDeadlineWorkerGetsItsRuntime() {
        RunResult r = Scenarios.execute(ctx, List.of(
                CgroupDef.named("dl").policy(SchedPolicy.deadline(Duration.ofMillis(10), Duration.ofMillis(100),
                        Duration.ofMillis(100))),
                CgroupDef.named("busy").workers(3)));
        double dl = cpuShare(r.cgroup("dl"));
        System.out.printf("DEADLINE 10 ms / 100 ms with 3 spinners on 2 CPUs: %.3f of a CPU%n", dl);
        // a spinning deadline task gets its runtime every period and no more (no SCHED_FLAG_RECLAIM)
        assertThat(dl).isBetween(0.07, 0.13);
    }

    @Test
    @Order(7)
    void anInadmissibleDeadlineIsReportedPerWorkerWithTheKernelsErrno() {
        // each cgroup alone fits 2 CPUs (so it passes validation); together they exceed what the kernel admits
        SchedPolicy forty = SchedPolicy.deadline(Duration.ofMillis(40), Duration.ofMillis(100), Duration.ofMillis(100));
        SchedPolicy sixty = SchedPolicy.deadline(Duration.ofMillis(60), Duration.ofMillis(100), Duration.ofMillis(100));
        assertThatThrownBy(() -> Scenarios.execute(ctx, List.of(CgroupDef.named("dl_a").workers(2).policy(forty),
                CgroupDef.named("dl_b").workers(2).policy(sixty)))).isInstanceOf(ScenarioException.class)
                .hasMessageContaining("cgroup dl_b: the kernel refused DEADLINE")
                .hasMessageMatching("(?s).*worker \\d+: EBUSY \\(errno 16.*");
        // the guest is still usable: the refused workers were stopped and the cgroups removed
        RunResult after = Scenarios.execute(ctx, List.of(CgroupDef.named("after")));
        assertThat(after.cgroup("after").totalWorkUnits()).isPositive();
    }
}
