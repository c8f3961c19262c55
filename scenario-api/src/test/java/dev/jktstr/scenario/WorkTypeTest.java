package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.guest.WorkloadType;
import dev.jktstr.machine.Topology;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The work-type factories: ktstr's names, parameters on the wire, ranges, and the topology each type needs. */
class WorkTypeTest {

    /** Every wire type has a factory named after ktstr's type in lowerCamelCase (Sequence and the rest alike). */
    @Test
    void everyTypeHasAFactoryNamedAfterKtstrs() {
        Set<String> factories = Arrays.stream(WorkType.class.getMethods())
                .filter(m -> Modifier.isStatic(m.getModifiers()) && m.getReturnType() == WorkType.class)
                .map(Method::getName).collect(Collectors.toSet());
        for (WorkloadType k : WorkloadType.values()) {
            String name = WorkTypeCatalog.name(k);
            assertThat(factories).as(name).contains(Character.toLowerCase(name.charAt(0)) + name.substring(1));
        }
        assertThat(WorkloadType.values()).hasSizeGreaterThanOrEqualTo(42);
    }

    @Test
    void theNoArgumentFormsAskForTheGuestDefaults() throws Exception {
        for (Method m : WorkType.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && m.getReturnType() == WorkType.class && m.getParameterCount() == 0) {
                WorkType w = (WorkType) m.invoke(null);
                assertThat(w.param1()).as(m.getName()).isZero();
                assertThat(w.param2()).as(m.getName()).isZero();
                assertThat(w.name()).isEqualTo(WorkTypeCatalog.name(w.kind()));
            }
        }
    }

    /** What goes on the wire: the parameters in the units workers.c and the work_*.c files read them in. */
    @Test
    void parametersAreEncodedAsTheGuestReadsThem() {
        assertThat(WorkType.idleChurn(Duration.ofNanos(30_000L), Duration.ofMillis(2))).isEqualTo(new WorkType(WorkloadType.IDLE_CHURN, 30, 2000));
        assertThat(WorkType.thunderingHerd(Duration.ofMillis(3), 100)).isEqualTo(new WorkType(WorkloadType.THUNDERING_HERD, 3000, 100));
        assertThat(WorkType.wakeChain(4, WakeMechanism.FUTEX, 700))
                .isEqualTo(new WorkType(WorkloadType.WAKE_CHAIN, 700, 4 | WorkloadType.WAKE_CHAIN_FUTEX));
        assertThat(WorkType.wakeChain(4, WakeMechanism.PIPE, 700)).isEqualTo(new WorkType(WorkloadType.WAKE_CHAIN, 700, 4));
        assertThat(WorkType.asymmetricWaker(SchedClass.FIFO, SchedClass.IDLE, 10))
                .isEqualTo(new WorkType(WorkloadType.ASYMMETRIC_WAKER, 10, 3 | 2 << 8));
        assertThat(WorkType.priorityInversion(500, true)).isEqualTo(new WorkType(WorkloadType.PRIORITY_INVERSION, 500, 1));
        assertThat(WorkType.cgroupChurn(3, Duration.ofMillis(7))).isEqualTo(new WorkType(WorkloadType.CGROUP_CHURN, 3, 7));
        assertThat(WorkType.schbench(2, Duration.ofNanos(80_000L))).isEqualTo(new WorkType(WorkloadType.SCHBENCH, 2, 80));
        assertThat(WorkType.taobench(75, Duration.ofNanos(20_000L))).isEqualTo(new WorkType(WorkloadType.TAOBENCH, 75, 20));
        assertThat(WorkType.netTraffic(4096)).isEqualTo(new WorkType(WorkloadType.NET_TRAFFIC, 4096, 0));
    }

    @Test
    void outOfRangeParametersNameTheField() {
        assertThat(field(() -> WorkType.aluHot(9))).isEqualTo("work.width");
        assertThat(field(() -> WorkType.rtStarvation(1, 100))).isEqualTo("work.rtPriority");
        assertThat(field(() -> WorkType.taobench(101, Duration.ofNanos(5_000L)))).isEqualTo("work.readPct");
        assertThat(field(() -> WorkType.thunderingHerd(Duration.ofNanos(5), 1))).isEqualTo("work.interBatch");
        assertThat(field(() -> WorkType.netTraffic(4))).isEqualTo("work.messageBytes");
        assertThat(field(() -> WorkType.futexFanOut(0, 5))).isEqualTo("work.fanOut");
        assertThat(field(() -> WorkType.wakeChain(-1, WakeMechanism.PIPE, 5))).isEqualTo("work.depth");
        assertThat(field(() -> WorkType.cgroupChurn(1, null))).isEqualTo("work.cycle");
        assertThat(field(() -> WorkType.pageFaultChurn(1, 1))).isEqualTo("work.regionKib");
    }

    /** Only solo types can be phases; Sequence's ktstr phases (Spin, Sleep, Yield, Io, AluHot) all can. */
    @Test
    void phasesAreSoloTypes() {
        WorkType ktstrPhases = WorkType.sequence(WorkType.phase(WorkType.spinWait(), Duration.ofMillis(5)),
                WorkType.phase(WorkType.timerLatency(), Duration.ofMillis(5)), WorkType.phase(WorkType.yieldHeavy(), Duration.ofMillis(5)),
                WorkType.phase(WorkType.ioSync(), Duration.ofMillis(5)), WorkType.phase(WorkType.aluHot(), Duration.ofMillis(5)));
        assertThat(ktstrPhases.phases()).hasSize(5);
        assertThat(field(() -> WorkType.sequence(WorkType.phase(WorkType.mutexContention(), Duration.ofMillis(5)))))
                .isEqualTo("work.phases[0]");
    }

    @Test
    void typesTheTopologyCannotServeAreRejectedWithTheReason() {
        Topology flat = new Topology(1, 1, 4, 1);
        assertThatThrownBy(() -> WorkType.smtSiblingSpin().checkTopology(flat, "cg.work"))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("SmtSiblingSpin needs SMT");
        assertThatThrownBy(() -> WorkType.numaMigrationChurn().checkTopology(flat, "cg.work")).hasMessageContaining("2 NUMA nodes");
        assertThatThrownBy(() -> WorkType.numaWorkingSetSweep().checkTopology(flat, "cg.work")).hasMessageContaining("2 NUMA nodes");
        assertThatThrownBy(() -> WorkType.crossAffinityChurn().checkTopology(flat, "cg.work")).hasMessageContaining("2 LLCs");
        assertThatThrownBy(() -> WorkType.sequence(WorkType.phase(WorkType.crossAffinityChurn(), Duration.ofMillis(5)))
                .checkTopology(flat, "cg.work")).hasMessageContaining("phases[0]");
        Topology rich = new Topology(2, 2, 1, 2);
        for (WorkType w : List.of(WorkType.smtSiblingSpin(), WorkType.numaMigrationChurn(), WorkType.crossAffinityChurn())) {
            w.checkTopology(rich, "cg.work");
        }
        // before boot, through the scenario: the field names the cgroup
        List<Step> steps = List.of(Step.of(HoldSpec.fraction(1), Op.addCgroup(CgroupDef.named("smt").workers(2)
                .work(WorkType.smtSiblingSpin()))));
        assertThatThrownBy(() -> Scenarios.validate(flat, steps)).isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("smt.work").hasMessageContaining("threads per core");
        Scenarios.validate(rich, steps);
    }

    /** I/O work needs the scratch disk: a VM without one refuses the scenario before boot; Vm.run adds one by itself. */
    @Test
    void ioWorkNeedsAScratchDisk() {
        Scenario io = Scenario.of("io", List.of(Step.of(HoldSpec.fraction(1), Op.addCgroup(CgroupDef.named("disk").workers(2)
                .work(WorkType.ioRandRead())))));
        Vm plain = Vm.builder().build();
        assertThatThrownBy(() -> plain.validate(io)).isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("steps[0].ops[0].work").hasMessageContaining("scratch disk");
        assertThat(plain.withScratchDisk(Vm.DEFAULT_SCRATCH_DISK_MIB).validate(io).scratchDiskMib()).isEqualTo(64);
        assertThat(Vm.diskUser(io.stepsFor(plain.topology()))).isPresent();
        assertThat(WorkType.sequence(WorkType.phase(WorkType.spinWait(), Duration.ofMillis(5))).needsDisk()).isFalse();
        assertThat(field(() -> Vm.builder().scratchDisk(-1).build())).isEqualTo("scratchDiskMib");
        assertThat(field(() -> WorkType.ioConvoy(0, 4))).isEqualTo("work.writeKib");
    }

    /** Custom takes only a static x86-64 ELF, refused before boot saying what the file is instead. */
    @Test
    void customTakesOnlyAStaticX86Elf(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path ok = java.nio.file.Files.write(dir.resolve("spinner"), dev.jktstr.testsupport.TinyElf.exiting(0, "hi"));
        WorkType w = WorkType.custom(ok);
        assertThat(w.kind()).isEqualTo(WorkloadType.CUSTOM);
        assertThat(w.guestBinaryPath()).isEqualTo("/bin/jktstr-custom-spinner");
        java.nio.file.Path dyn = java.nio.file.Files.write(dir.resolve("dyn"), dev.jktstr.testsupport.TinyElf.dynamic("/lib64/ld-linux-x86-64.so.2"));
        assertThatThrownBy(() -> WorkType.custom(dyn)).isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("must be a statically linked x86-64 ELF").hasMessageContaining("dynamically linked");
        java.nio.file.Path script = java.nio.file.Files.writeString(dir.resolve("run.sh"), "#!/bin/sh\nexit 0\n");
        assertThatThrownBy(() -> WorkType.custom(script)).hasMessageContaining("a script (#!/bin/sh)");
        assertThat(field(() -> WorkType.custom(dir.resolve("missing")))).isEqualTo("work.binary");
        assertThat(field(() -> new WorkType(WorkloadType.CUSTOM, 0, 0))).isEqualTo("work");
    }

    @Test
    void theCatalogListsEveryTypeOnce() {
        List<WorkTypeCatalog.Entry> all = WorkTypeCatalog.all();
        assertThat(all).hasSize(WorkloadType.values().length);
        assertThat(all.stream().map(WorkTypeCatalog.Entry::name)).doesNotHaveDuplicates().contains("SpinWait", "IrqWake",
                "ProducerConsumerImbalance", "NumaWorkingSetSweep");
        assertThat(all).allSatisfy(e -> assertThat(e.description()).isNotBlank().doesNotContain("\n"));
    }

    private static String field(Runnable r) {
        try {
            r.run();
        } catch (InvalidScenarioException e) {
            return e.field();
        }
        throw new AssertionError("not rejected");
    }
}
