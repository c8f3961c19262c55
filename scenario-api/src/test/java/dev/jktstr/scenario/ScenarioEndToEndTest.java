package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real guests under QEMU (TCG here): one boot under EEVDF and one under scx_simple, shared by the tests.
 * Runs are 3 s: enough for thousands of iterations per worker, short enough for CI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BootsVm
class ScenarioEndToEndTest {
    private static Ctx eevdf;
    private static Ctx simple;

    static Ctx eevdf() {
        if (eevdf == null) {
            eevdf = TestAssets.vm().scheduler(Scheduler.eevdf()).boot();
        }
        return eevdf;
    }

    static Ctx simple() {
        if (simple == null) {
            simple = TestAssets.vm().scheduler(Scheduler.binary(TestAssets.scxSimple())).boot();
        }
        return simple;
    }

    @AfterAll
    static void close() {
        if (eevdf != null) {
            eevdf.close();
        }
        if (simple != null) {
            simple.close();
        }
    }

    private static RunResult runAndShow(Ctx ctx, Scenario s, Path dir) {
        RunResult r = Scenarios.run(ctx, s);
        Path f = r.write(dir.resolve(s.name() + "-" + r.scheduler() + ".json"));
        System.out.printf("%s under %s (%s, %s): %s%n%s", s.name(), r.scheduler(), r.backend(), r.kernelRelease(), f,
                r.verdict().table());
        return r;
    }

    /** The monitor sampled the guest kernel during the hold and every monitor claim passed. */
    private static void assertMonitorPassed(RunResult r, List<String> labels) {
        MonitorSummary m = r.monitor();
        System.out.println(m.describe());
        assertThat(m.status()).isEqualTo("sampled");
        // a 3 s hold at 250 ms: about 12 samples; TCG and a shared host may delay some
        assertThat(m.samples()).isGreaterThanOrEqualTo(5);
        assertThat(r.verdict().claims()).filteredOn(c -> c.label().startsWith("monitor."))
                .extracting(ClaimResult::label).containsExactlyElementsOf(labels);
        // under EEVDF the global DSQ check is skipped (with its reason); everything else passes
        assertThat(r.verdict().claims()).filteredOn(c -> c.label().startsWith("monitor."))
                .allSatisfy(c -> assertThat(c.outcome()).as(c.toString()).isEqualTo(
                        c.label().equals("monitor.maxGlobalDsqDepth") && !m.schedExtExpected() ? Outcome.SKIP : Outcome.PASS));
    }

    @Test
    @Order(1)
    void steadyAndOversubscribedPassUnderEevdf(@TempDir Path dir) {
        for (Scenario s : List.of(Scenarios.steady(), Scenarios.oversubscribed())) {
            RunResult r = runAndShow(eevdf(), s, dir);
            assertThat(r.outcome()).as(r.verdict().reason()).isEqualTo(Outcome.PASS);
            assertThat(r.cgroups()).allSatisfy(c -> assertThat(c.totalWorkUnits()).isPositive());
            assertThat(r.schedExtState()).isIn("disabled", "");
            if (s.name().equals("steady")) {
                // no sched_ext scheduler expected: no error-exit claim
                assertMonitorPassed(r, List.of("monitor.imbalanceP90", "monitor.maxLocalDsqDepth", "monitor.rqClockStalls",
                        "monitor.maxGlobalDsqDepth"));
                assertThat(r.monitor().schedExtState()).isEqualTo("disabled");
            }
        }
    }

    @Test
    @Order(2)
    void steadyAndOversubscribedPassUnderScxSimple(@TempDir Path dir) {
        Ctx ctx = simple();
        assertThat(ctx.agent().exec("cat /sys/kernel/sched_ext/root/ops").stdoutText().strip()).isEqualTo("simple");
        for (Scenario s : List.of(Scenarios.steady(), Scenarios.oversubscribed())) {
            RunResult r = runAndShow(ctx, s, dir);
            assertThat(r.outcome()).as(r.verdict().reason()).isEqualTo(Outcome.PASS);
            assertThat(r.schedExtState()).isEqualTo("enabled");
            if (s.name().equals("steady")) {
                assertMonitorPassed(r, List.of("monitor.imbalanceP90", "monitor.maxLocalDsqDepth", "monitor.rqClockStalls",
                        "monitor.schedExtErrorExits", "monitor.maxGlobalDsqDepth"));
                // scx_simple's SHARED_DSQ (id 0) is read from guest memory
                assertThat(r.monitor().userDsqIds()).containsExactly(0L);
                assertThat(r.monitor().schedExtState()).isEqualTo("enabled");
                assertThat(r.monitor().exitKind()).isEqualTo("SCX_EXIT_NONE");
            }
        }
        // a snapshot mid-run: a note with the runqueues and the whole snapshot in the result
        RunResult snap = Scenarios.executeSteps(ctx, "snapshot", List.of(
                Step.of(HoldSpec.fixed(java.time.Duration.ofMillis(500)), Op.addCgroup(CgroupDef.named("snap").workers(2))),
                Step.of(HoldSpec.fixed(java.time.Duration.ofMillis(200)), Op.snapshot())));
        assertThat(snap.monitor().snapshots()).hasSize(1);
        assertThat(snap.monitor().snapshots().getFirst().runqueues()).hasSize(2);
        assertThat(snap.monitor().snapshots().getFirst().schedExt().opsName()).isEqualTo("simple");
        assertThat(snap.verdict().notes()).anySatisfy(n -> assertThat(n).startsWith("snapshot 1: cpu0 nr_running="));
    }

    @Test
    @Order(3)
    void isolationCheckCatchesAWorkerLetOutsideItsCpuset(@TempDir Path dir) {
        Ctx ctx = eevdf();
        CgroupDef inner = CgroupDef.named("iso_0").workers(2).cpuset(CpusetSpec.cpus(0));
        CgroupDef outer = CgroupDef.named("iso_1").workers(1).cpuset(CpusetSpec.cpus(1));
        // Control: confined by its cpuset, every worker stays on CPU 0.
        RunResult ok = Scenarios.executeSteps(ctx, "isolation-ok", List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(inner), Op.addCgroup(outer))));
        assertThat(ok.cgroup("iso_0").cpusUsed()).containsExactly(0);
        assertThat(ok.verdict().claims()).anySatisfy(c -> {
            assertThat(c.label()).isEqualTo("iso_0.workersOutsideCpuset");
            assertThat(c.outcome()).isEqualTo(Outcome.PASS);
        });
        // One worker is let out (moved into the cgroup on CPU 1): the check must fail on it.
        RunResult bad = Scenarios.executeSteps(ctx, "isolation-escape", List.of(
                Step.of(HoldSpec.fraction(0.3), Op.addCgroup(inner.workers(2)), Op.addCgroup(outer)),
                Step.of(HoldSpec.fraction(0.4), Op.moveTasks("iso_0", "iso_1", 1))));
        bad.write(dir.resolve("isolation.json"));
        System.out.println("isolation negative test:\n" + bad.verdict().table());
        assertThat(bad.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(bad.verdict().failures()).extracting(ClaimResult::label).contains("iso_0.workersOutsideCpuset");
        assertThat(bad.cgroup("iso_0").cpusUsed()).contains(1);
    }

    @Test
    @Order(4)
    void opsScenariosPassAndConfineWorkers(@TempDir Path dir) {
        Ctx ctx = eevdf();
        for (Scenario s : List.of(Scenarios.cpusetResize(), Scenarios.cpusetClear(), Scenarios.cgroupAddRemove(), Scenarios.pinned(),
                Scenarios.mixedWorkloads(), Scenarios.affinityChange(), Scenarios.cpusetFlip())) {
            RunResult r = runAndShow(ctx, s, dir);
            assertThat(r.outcome()).as(s.name() + ": " + r.verdict().reason()).isEqualTo(Outcome.PASS);
        }
        RunResult pinned = Scenarios.executeSteps(ctx, "affinity-change", List.of(
                Step.of(HoldSpec.fraction(0.2), Op.addCgroup(CgroupDef.named("aff").workers(2))),
                Step.of(HoldSpec.fraction(0.3), Op.setAffinity("aff", CpusetSpec.cpus(1)),
                        Op.readKernelValue("/sys/fs/cgroup/aff/cgroup.procs")),
                Step.of(HoldSpec.fraction(0.2), Op.spawn("aff", 1, WorkType.yieldHeavy()))));
        assertThat(pinned.cgroup("aff").workers()).hasSize(3);
        assertThat(pinned.cgroup("aff").workType()).isEqualTo("SPIN_WAIT+YIELD_HEAVY");
        assertThat(pinned.outcome()).as(pinned.verdict().reason()).isEqualTo(Outcome.PASS);
        assertThat(pinned.verdict().notes()).anySatisfy(n -> assertThat(n).startsWith("/sys/fs/cgroup/aff/cgroup.procs = "));
        // The two first workers end pinned to CPU 1: each must have been seen there.
        assertThat(pinned.cgroup("aff").workers().subList(0, 2)).allSatisfy(w -> assertThat(w.cpusUsed()).contains(1));
        assertThat(pinned.cgroup("aff").workers().get(2).cpusUsed()).as("spawned after the affinity change")
                .containsAnyOf(0, 1);
    }

    @Test
    @Order(5)
    void schedulerDetachAndAttachMidRun() {
        Ctx ctx = simple();
        RunResult r = Scenarios.executeSteps(ctx, "detach-attach", List.of(
                Step.of(HoldSpec.fraction(0.2), Op.addCgroup(CgroupDef.named("cg_0").workers(3))),
                Step.of(HoldSpec.fraction(0.2), Op.detachScheduler(), Op.readKernelValue("/sys/kernel/sched_ext/state")),
                Step.of(HoldSpec.fraction(0.2), Op.attachScheduler(), Op.readKernelValue("/sys/kernel/sched_ext/root/ops"))));
        System.out.println("detach/attach:\n" + r.verdict().table());
        assertThat(r.outcome()).as(r.verdict().reason()).isEqualTo(Outcome.PASS);
        assertThat(r.verdict().notes()).filteredOn(n -> !n.startsWith("monitor:") && !n.startsWith("host:"))
                .containsExactly("/sys/kernel/sched_ext/state = disabled",
                "/sys/kernel/sched_ext/root/ops = simple",
                "schedulers by step: step 1 scx_simple (simple), step 2 eevdf, step 3 scx_simple (simple)");
        assertThat(r.schedulers()).containsExactly("scx_simple", "eevdf", "scx_simple");
        assertThat(r.schedExtState()).isEqualTo("enabled");
    }

    @Test
    @Order(10)
    void aSchedulerKilledMidRunFailsWithTheSchedExtExitReason() {
        Ctx ctx = simple();
        RunResult r = Scenarios.executeSteps(ctx, "scheduler-killed", List.of(
                Step.of(HoldSpec.fraction(0.3), Op.addCgroup(CgroupDef.named("victim").workers(2))),
                Step.of(HoldSpec.fraction(0.3), Op.killScheduler(9))));
        System.out.println("scheduler killed:\n" + r.verdict().table());
        assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(r.schedExtState()).isNotEqualTo("enabled");
        assertThat(r.schedulerExit()).isPresent();
        assertThat(r.verdict().reason()).contains("sched_ext").contains(r.schedulerExit().get());
    }
}
