package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Isolation judged per step against the cpuset in force during each hold (issue 14: a cgroup whose cpuset changed
 * mid-run had no isolation claim at all, so a scheduler that ignored the new cpuset passed). One guest under QEMU TCG
 * (1,1,2,1) and EEVDF — no sched_ext scheduler, so what the claims see is the kernel's own cpuset handling.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BootsVm
class StepIsolationEndToEndTest {
    private static Ctx ctx;

    @BeforeAll
    static void boot() {
        ctx = TestAssets.vm().scheduler(Scheduler.eevdf()).boot();
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    private static ClaimResult claim(RunResult r, String label) {
        return r.verdict().claims().stream().filter(c -> c.label().equals(label)).findFirst()
                .orElseThrow(() -> new AssertionError("no claim " + label + " in\n" + r.verdict().table()));
    }

    /**
     * cg_0 runs unconfined, then its cpuset is narrowed to CPU 0 and one of its workers is moved into a cgroup confined
     * to CPU 1: that worker runs outside the cpuset cg_0 has in step 2, and step 2's claim FAILs naming it.
     */
    @Test
    @Order(1)
    void aWorkerOutsideTheNarrowedCpusetFailsThatStep(@TempDir Path dir) throws Exception {
        ctx.duration(Duration.ofSeconds(4));
        RunResult r = Scenarios.executeSteps(ctx, "narrow-and-escape", List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0").workers(2)),
                        Op.addCgroup(CgroupDef.named("elsewhere").workers(1).cpuset(CpusetSpec.cpus(1)))),
                Step.of(HoldSpec.fraction(0.5), Op.setCpuset("cg_0", CpusetSpec.cpus(0)), Op.moveTasks("cg_0", "elsewhere", 1))));
        Path f = r.write(dir.resolve("narrow.json"));
        System.out.printf("narrow and escape: %s%n%s", f, r.verdict().table());

        assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
        ClaimResult step2 = claim(r, "step2.cg_0.workersOutsideCpuset");
        assertThat(step2.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(step2.value()).isEqualTo(1);
        int moved = r.cgroup("cg_0").workers().getFirst().pid(); // moveTasks takes the first spawned
        assertThat(step2.detail()).startsWith("allowed 0; outside: pid " + moved + " on [1]; used:");
        // step 1 had no cpuset: nothing to judge there; the run as a whole has no one cpuset: a SKIP row says so
        assertThat(r.verdict().claims()).extracting(ClaimResult::label).doesNotContain("step1.cg_0.workersOutsideCpuset");
        ClaimResult whole = claim(r, "cg_0.workersOutsideCpuset");
        assertThat(whole.outcome()).isEqualTo(Outcome.SKIP);
        assertThat(whole.detail()).contains("unrestricted in step 1 and restricted in step 2")
                .contains("judged per step: step2.cg_0.workersOutsideCpuset");
        // a cgroup whose cpuset never changed keeps its one run-wide claim, and it holds
        assertThat(claim(r, "elsewhere.workersOutsideCpuset").outcome()).isEqualTo(Outcome.PASS);
        assertThat(r.verdict().claims()).extracting(ClaimResult::label).doesNotContain("step2.elsewhere.workersOutsideCpuset");
        assertThat(r.verdict().failures()).extracting(ClaimResult::label).containsExactly("step2.cg_0.workersOutsideCpuset");
        assertThat(Files.readString(f)).contains("\"label\" : \"step2.cg_0.workersOutsideCpuset\"");
    }

    /** A step in which no worker ran cannot be judged: a SKIP row says so, and the other steps are judged. */
    @Test
    @Order(3)
    void aStepWithoutIterationsIsASkipRowWithTheReason() {
        ctx.duration(Duration.ofSeconds(3));
        RunResult r = Scenarios.executeSteps(ctx, "frozen-step", List.of(
                Step.of(HoldSpec.fraction(0.4), Op.addCgroup(CgroupDef.named("cg_f").workers(1).cpuset(CpusetSpec.cpus(0)))),
                Step.of(HoldSpec.fraction(0.3), Op.freeze("cg_f"), Op.setCpuset("cg_f", CpusetSpec.cpus(1))),
                Step.of(HoldSpec.fraction(0.3), Op.unfreeze("cg_f"))));
        System.out.printf("frozen step:%n%s", r.verdict().table());
        ClaimResult frozen = claim(r, "step2.cg_f.workersOutsideCpuset");
        assertThat(frozen.outcome()).isEqualTo(Outcome.SKIP);
        assertThat(frozen.detail()).isEqualTo("cannot be judged: no worker of cg_f did an iteration during step 2's hold");
        assertThat(claim(r, "step1.cg_f.workersOutsideCpuset").outcome()).isEqualTo(Outcome.PASS);
        assertThat(claim(r, "step3.cg_f.workersOutsideCpuset").outcome()).isEqualTo(Outcome.PASS);
        assertThat(claim(r, "step3.cg_f.workersOutsideCpuset").detail()).startsWith("allowed 1;");
    }

    /** The kernel keeps cpusets: cpuset-apply and the looping cpuset-flip judge every step and pass. */
    @Test
    @Order(2)
    void cpusetsThatChangeArePassedStepByStepWhenKept() {
        ctx.duration(Duration.ofSeconds(4));
        RunResult apply = Scenarios.run(ctx, Scenarios.cpusetApply());
        System.out.printf("cpuset-apply:%n%s", apply.verdict().table());
        for (String cg : List.of("cg_0", "cg_1")) {
            ClaimResult step2 = claim(apply, "step2." + cg + ".workersOutsideCpuset");
            assertThat(step2.outcome()).as(step2.toString()).isEqualTo(Outcome.PASS);
            assertThat(claim(apply, cg + ".workersOutsideCpuset").outcome()).isEqualTo(Outcome.SKIP);
        }
        assertThat(apply.verdict().claims()).filteredOn(c -> c.label().endsWith("workersOutsideCpuset"))
                .noneMatch(c -> c.outcome() == Outcome.FAIL);

        RunResult flip = Scenarios.run(ctx, Scenarios.cpusetFlip());
        System.out.printf("cpuset-flip:%n%s", flip.verdict().table());
        for (String cg : List.of("cg_0", "cg_1")) {
            ClaimResult step2 = claim(flip, "step2." + cg + ".workersOutsideCpuset");
            assertThat(step2.outcome()).as(step2.toString()).isEqualTo(Outcome.PASS);
            assertThat(step2.detail()).as("the swaps every 500 ms change what is allowed").contains(" then ");
            assertThat(claim(flip, "step1." + cg + ".workersOutsideCpuset").outcome()).isEqualTo(Outcome.PASS);
            // never unrestricted: the run-wide claim over the union of its cpusets stays too
            assertThat(claim(flip, cg + ".workersOutsideCpuset").outcome()).isEqualTo(Outcome.PASS);
        }
    }
}
