package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad scenarios are rejected before anything boots, with the field named. No test here boots a guest. */
class ValidationTest {
    private static final Topology T = new Topology(1, 2, 2, 1); // CPUs 0-3, LLCs 0-1

    /** The refusal {@code r} throws (before anything boots), for its field and message. */
    static InvalidScenarioException invalid(Runnable r) {
        try {
            r.run();
        } catch (InvalidScenarioException e) {
            return e;
        }
        throw new AssertionError("expected an InvalidScenarioException");
    }

    @Test
    void opNamingAnUnknownCgroup() {
        var e = invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0"))),
                Step.of(HoldSpec.fraction(0.5), Op.setCpuset("cg_9", CpusetSpec.cpus(0))))));
        assertThat(e.field()).isEqualTo("steps[1].ops[0].name");
        assertThat(e.getMessage()).contains("unknown cgroup 'cg_9'");
    }

    @Test
    void spawnNeedsALiveCgroupAndWorkers() {
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.fraction(1),
                Op.spawn("ghost", 1, WorkType.spinWait()))))).field()).isEqualTo("steps[0].ops[0].cgroup");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(CgroupDef.named("a")), Op.spawn("a", 0, WorkType.spinWait()))))).field())
                .isEqualTo("steps[0].ops[1].workers");
    }

    @Test
    void removedCgroupIsUnknownAfterwards() {
        var e = invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("a")), Op.removeCgroup("a")),
                Step.of(HoldSpec.fraction(0.5), Op.freeze("a")))));
        assertThat(e.field()).isEqualTo("steps[1].ops[0].name");
    }

    @Test
    void cpusetOutsideTheTopology() {
        var e = invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("cg_0").cpuset(CpusetSpec.cpus(0, 7)))))));
        assertThat(e.field()).isEqualTo("steps[0].ops[0].cgroup cg_0.cpuset");
        assertThat(e.getMessage()).contains("CPU 7 is outside");
        var llc = invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("cg_0").cpuset(CpusetSpec.llc(2)))))));
        assertThat(llc.getMessage()).contains("LLC 2 is outside");
        var op = invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(1), Op.addCgroup(CgroupDef.named("x")), Op.setCpuset("x", CpusetSpec.node(1))))));
        assertThat(op.field()).isEqualTo("steps[0].ops[1].cpus");
    }

    @Test
    void zeroWorkers() {
        var e = invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(CgroupDef.named("cg_0").workers(0))))));
        assertThat(e.field()).isEqualTo("steps[0].ops[0].cgroup cg_0.workers");
    }

    @Test
    void negativeDurations() {
        assertThat(invalid(() -> Vm.builder().duration(Duration.ofSeconds(-1)).build()).field()).isEqualTo("duration");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.fixed(Duration.ofMillis(-5)),
                Op.addCgroup(CgroupDef.named("a")))))).field()).isEqualTo("steps[0].hold");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.fraction(1.5))))).field())
                .isEqualTo("steps[0].hold");
    }

    @Test
    void loopHoldsRepeatOnlyRepeatableOps() {
        var e = invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.loop(0.5, Duration.ofMillis(100)),
                Op.addCgroup(CgroupDef.named("a"))))));
        assertThat(e.field()).isEqualTo("steps[0].ops[0]");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.loop(0.5, Duration.ZERO))))).field())
                .isEqualTo("steps[0].hold.interval");
        assertThat(HoldSpec.loop(0.25, Duration.ofMillis(100)).of(Duration.ofSeconds(4))).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void otherBadInput() {
        assertThat(invalid(() -> Scenarios.validate(T, List.of())).field()).isEqualTo("steps");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("a"), CgroupDef.named("a")))))).field()).isEqualTo("steps[0].ops[1].cgroup.name");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("../etc")))))).field()).isEqualTo("steps[0].ops[0].cgroup.name");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("a").nice(25)))))).field()).isEqualTo("steps[0].ops[0].cgroup a.nice");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.fraction(1),
                Op.writeKernelValue("/etc/passwd", "x"))))).field()).isEqualTo("steps[0].ops[0].path");
        assertThat(invalid(() -> Vm.builder().scheduler(Scheduler.binary(Path.of("/nonexistent/scx"))).build()).field())
                .isEqualTo("scheduler");
        assertThat(invalid(() -> Vm.builder().topology(0, 1, 1, 1)).field()).isEqualTo("topology");
        assertThat(invalid(() -> Scenarios.byName("nope")).getMessage()).contains("steady");
        assertThat(invalid(() -> CpusetSpec.cpus()).field()).isEqualTo("cpuset");
        assertThat(invalid(() -> WorkType.sequence()).field()).isEqualTo("work.phases");
        assertThat(invalid(() -> WorkType.sequence(WorkType.phase(WorkType.pipeIo(), Duration.ofMillis(10)))).field())
                .isEqualTo("work.phases[0]");
        assertThat(invalid(() -> WorkType.sequence(WorkType.phase(WorkType.spinWait(), Duration.ZERO))).field())
                .isEqualTo("work.phases[0].duration");
        assertThat(WorkType.sequence(WorkType.phase(WorkType.spinWait(), Duration.ofMillis(10)),
                WorkType.phase(WorkType.timerLatency(), Duration.ofMillis(10))).blocksByDesign()).isTrue();
    }

    @Test
    void memoryPolicyNodesMustExist() {
        Topology twoNodes = new Topology(2, 1, 1, 1);
        var e = invalid(() -> Scenarios.validate(twoNodes, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("db").memoryPolicy(MemoryPolicy.bind(0, 2)))))));
        assertThat(e.field()).isEqualTo("steps[0].ops[0].cgroup db.memoryPolicy.nodes");
        assertThat(e.getMessage()).contains("NUMA node 2 is outside the topology 2,1,1,1");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("db").memoryPolicy(MemoryPolicy.preferred(1))))))).getMessage()).contains("NUMA node 1 is outside");
        assertThat(invalid(() -> Scenarios.validate(twoNodes, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("db").memoryPolicy(MemoryPolicy.interleave())))))).field())
                .isEqualTo("steps[0].ops[0].cgroup db.memoryPolicy.nodes");
        Scenarios.validate(twoNodes, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("a").memoryPolicy(MemoryPolicy.bind(1)), CgroupDef.named("b").memoryPolicy(MemoryPolicy.local()),
                CgroupDef.named("c").memoryPolicy(MemoryPolicy.defaultPolicy()),
                CgroupDef.named("d").memoryPolicy(MemoryPolicy.interleave(1, 0, 1))))));
        assertThat(MemoryPolicy.interleave(1, 0, 1).nodes()).containsExactly(0, 1);
        assertThat(MemoryPolicy.bind(1).kernelForm()).isEqualTo("bind=static:1");
        assertThat(MemoryPolicy.interleave(0, 1).kernelForm()).isEqualTo("interleave=static:0-1");
    }

    @Test
    void nestedCgroupsNeedALiveWorkerlessParent() {
        // a child before its parent
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("p/c")))))).field()).isEqualTo("steps[0].ops[0].cgroup.name");
        // a parent with workers cannot have children (cgroup v2: processes in leaves only)
        var e = invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("p"), CgroupDef.named("p/c"))))));
        assertThat(e.field()).isEqualTo("steps[0].ops[1].cgroup.name");
        assertThat(e.getMessage()).contains("leaves only");
        // a cgroup without workers must be a parent
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.parent("p")))))).field()).isEqualTo("steps[0].ops[0].cgroup p.workers");
        // parents are removed after their children, and get no workers or memory policy of their own
        assertThat(invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.parent("p")), Op.addCgroup(CgroupDef.named("p/c"))),
                Step.of(HoldSpec.fraction(0.5), Op.removeCgroup("p"))))).field()).isEqualTo("steps[1].ops[0].name");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.parent("p")), Op.addCgroup(CgroupDef.named("p/c")),
                        Op.spawn("p", 1, WorkType.spinWait()))))).field()).isEqualTo("steps[0].ops[2].cgroup");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.parent("p")), Op.addCgroup(CgroupDef.named("p/c")),
                        Op.addCgroup(CgroupDef.named("q")), Op.moveTasks("q", "p", 1))))).field()).isEqualTo("steps[0].ops[3].to");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.parent("p").memoryPolicy(MemoryPolicy.local()), CgroupDef.named("p/c")))))).field())
                .isEqualTo("steps[0].ops[0].cgroup p.memoryPolicy");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.parent("a"), CgroupDef.parent("a/b"), CgroupDef.parent("a/b/c"), CgroupDef.parent("a/b/c/d"),
                CgroupDef.named("a/b/c/d/e")))))).getMessage()).contains("at most 4");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.parent("a"), CgroupDef.named("a//b")))))).field()).isEqualTo("steps[0].ops[1].cgroup.name");
        // fine: nested three deep, children removed first, the parent's cpuset
        Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.parent("a").cpuset(CpusetSpec.llc(0))),
                        Op.addCgroup(CgroupDef.parent("a/b")), Op.addCgroup(CgroupDef.named("a/b/c").workers(2))),
                Step.of(HoldSpec.fraction(0.5), Op.setCpuset("a", CpusetSpec.llc(1)), Op.removeCgroup("a/b/c"),
                        Op.removeCgroup("a/b"), Op.removeCgroup("a"))));
    }

    @Test
    void replaceSchedulerNeedsABinary() {
        var e = invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(CgroupDef.named("a")), Op.replaceScheduler(Path.of("/nonexistent/scx_other"))))));
        assertThat(e.field()).isEqualTo("steps[0].ops[1].scheduler");
        assertThat(e.getMessage()).contains("no scheduler binary at /nonexistent/scx_other");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.loop(0.5, Duration.ofMillis(100)),
                Op.replaceScheduler(Path.of("/bin/true")))))).field()).isEqualTo("steps[0].ops[0]");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.fraction(1),
                Op.replaceScheduler((Scheduler.Binary) null))))).field()).isEqualTo("steps[0].ops[0].scheduler");
    }

    @Test
    void aScenarioOfStepsIsValidatedWhenBuilt() {
        // removing a cgroup never added: refused as the scenario is built, no VM, no topology
        var e = invalid(() -> Scenario.of("bad", List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("a"))),
                Step.of(HoldSpec.fraction(0.5), Op.removeCgroup("never")))));
        assertThat(e.field()).isEqualTo("steps[1].ops[0].name");
        assertThat(e.getMessage()).contains("unknown cgroup 'never' (cgroups at this point: [a])");
        assertThat(invalid(() -> Scenario.of("twice", List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(CgroupDef.named("a")), Op.removeCgroup("a"), Op.setCpuset("a", CpusetSpec.cpus(0)))))).field())
                .isEqualTo("steps[0].ops[2].name");
        // cpusets need the topology: checked when the scenario meets the VM, still before the boot
        Scenario wide = Scenario.of("wide", List.of(Scenarios.addAllAndHold(List.of(
                CgroupDef.named("cg_0").cpuset(CpusetSpec.cpus(0, 7))))));
        Vm vm = Vm.builder().topology(T).kernel(Path.of("/nonexistent/kernel")).build();
        assertThat(invalid(() -> vm.validate(wide)).getMessage()).contains("CPU 7 is outside");
        // Vm.run validates before it looks for a kernel or boots: the invalid scenario is what it reports
        assertThat(invalid(() -> vm.run(wide)).field()).isEqualTo("steps[0].ops[0].cgroup cg_0.cpuset");
        Scenario lazy = new Scenario("lazy", t -> List.of(Step.of(HoldSpec.fraction(1), Op.freeze("ghost"))));
        assertThat(invalid(() -> vm.run(lazy)).field()).isEqualTo("steps[0].ops[0].name");
        assertThatThrownBy(() -> vm.run(Scenarios.steady())).isInstanceOf(ScenarioException.class)
                .isNotInstanceOf(InvalidScenarioException.class).hasMessageStartingWith("kernel: no kernel at /nonexistent/kernel");
    }

    @Test
    void aSchedulerMustBeAStaticX86Elf(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path text = java.nio.file.Files.writeString(dir.resolve("scx_text"), "\u0091garbage, not a program\n");
        var e = invalid(() -> Vm.builder().scheduler(Scheduler.binary(text)).build());
        assertThat(e.field()).isEqualTo("scheduler");
        assertThat(e.getMessage()).contains(text + " must be a statically linked x86-64 ELF")
                .contains("it is not an ELF file (it starts with c2 91 67 61");
        Path script = java.nio.file.Files.writeString(dir.resolve("scx_script"), "#!/bin/sh\nexec scx_simple\n");
        assertThat(invalid(() -> Scenario.of("swap", List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(CgroupDef.named("a")), Op.replaceScheduler(script))))).getMessage())
                .contains("must be a statically linked x86-64 ELF").contains("it is a script (#!/bin/sh)");
        Path dynamic = Path.of("/usr/bin/env"); // dynamically linked on Debian and Ubuntu
        if (java.nio.file.Files.isRegularFile(dynamic) && dev.jktstr.btf.elf.StaticExecutable.problem(dynamic).isPresent()) {
            assertThat(invalid(() -> Vm.builder().scheduler(Scheduler.binary(dynamic)).build()).getMessage())
                    .contains("must be a statically linked x86-64 ELF").contains("it is a dynamically linked x86-64 ELF (interpreter");
        }
        Path simple = TestAssets.shared().resolve("schedulers/scx_simple");
        if (java.nio.file.Files.isRegularFile(simple)) {
            assertThat(Vm.builder().scheduler(Scheduler.binary(simple)).build().scheduler().name()).isEqualTo("scx_simple");
        }
    }

    @Test
    void cannedScenariosAreValidOnSeveralTopologies() {
        for (Topology t : List.of(new Topology(1, 1, 1, 1), new Topology(1, 1, 2, 1), new Topology(1, 2, 2, 1),
                new Topology(2, 2, 2, 2))) {
            Scenarios.canned().values().forEach(s -> assertThat(s.stepsFor(t)).as(s.name() + " on " + t).isNotEmpty());
        }
    }

    @Test
    void cpusetSpecsResolveAgainstTheTopology() {
        assertThat(CpusetSpec.format(CpusetSpec.llc(1).resolve(T, "f"))).isEqualTo("2-3");
        assertThat(CpusetSpec.format(CpusetSpec.slice(1, 2).resolve(T, "f"))).isEqualTo("2-3");
        assertThat(CpusetSpec.format(CpusetSpec.cpus(0, 3).resolve(T, "f"))).isEqualTo("0,3");
        assertThat(CpusetSpec.format(CpusetSpec.node(0).resolve(T, "f"))).isEqualTo("0-3");
    }
}
