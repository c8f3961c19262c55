package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.scenario.CgroupDef;
import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.Vm;
import dev.jktstr.scenario.WorkType;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.SharedAssets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code perf-delta} on real runs (one QEMU TCG guest of 1 vCPU under scx_simple, fifteen 2 s runs of one worker,
 * interleaved): two sets of five spin-wait runs report no regression; a set whose worker is busy only half the time
 * (bursty, 10 ms on, 10 ms off: a slower work type) is reported on the work units. One worker, because with more
 * workers than vCPUs (first tried: four) a sleeping worker's share goes to the others and the total work does not
 * drop at all. Under TCG on a host shared with other builds, identical runs differ up to 3x in work units: then
 * perf-delta rightly calls the halving NOISY, and the second claim skips, saying how noisy the runs were. A CI host
 * busier during one side's runs than the other's once made two identical sets differ by 35% beyond their spread:
 * each run now records what the host took from its vCPUs, and perf-delta says HOST, not REGRESSION, when the sides
 * differ there (on 2 vCPUs beside a second build, held shares of 0.04 to 0.65 went with 230k down to 105k units).
 * Should identical sets still differ with the host record alike, the first claim skips quoting both (noise the host
 * record does not see), and each run's numbers are printed to find out why. One vCPU, not two: it leaves the host a
 * core for QEMU's own threads and this JVM, so the host takes less from the vCPU and more evenly.
 */
@BootsVm
class PerfDeltaRealRunsTest {
    private static final int RUNS = 5;

    @Test
    void sameSchedulerSetsPassAndASlowerWorkTypeRegressesOnWorkUnits(@TempDir Path dir) {
        Path kernel = SchedulerFailureTest.kernel();
        Path simple = SharedAssets.requireScheduler("scx_simple");
        try (Ctx ctx = Vm.builder().kernel(kernel).topology(1, 1, 1, 1).memoryMib(256).backend("qemu:tcg")
                .scheduler(Scheduler.binary(simple)).duration(Duration.ofSeconds(2)).boot()) {
            for (int i = 1; i <= RUNS; i++) {
                run(ctx, WorkType.spinWait()).write(dir.resolve("a/run" + i + ".json"));
                run(ctx, WorkType.spinWait()).write(dir.resolve("b/run" + i + ".json"));
                run(ctx, WorkType.bursty(Duration.ofMillis(10), Duration.ofMillis(10))).write(dir.resolve("c/run" + i + ".json"));
            }
        }
        for (String side : List.of("a", "b", "c")) {
            System.out.print(side + ":");
            for (int i = 1; i <= RUNS; i++) {
                var m = dev.jktstr.scenario.ResultJson.readMetrics(dir.resolve(side + "/run" + i + ".json"));
                var host = dev.jktstr.scenario.ResultJson.readInterference(dir.resolve(side + "/run" + i + ".json"));
                System.out.printf(" %.0f units / %.0f ms gap / host held %.3f stole %.3f;",
                        m.get("custom/cg_0.totalWorkUnits"), m.get("custom/cg_0.maxGapMs"), host.vcpuHeldShare(),
                        host.stealShare());
            }
            System.out.println();
        }
        Run same = RunCommandTest.jktstr("perf-delta", dir.resolve("a").toString(), dir.resolve("b").toString(), "--all");
        System.out.print(same.out() + same.err());
        assertThat(same.out()).contains("host: took ");
        org.junit.jupiter.api.Assumptions.assumeTrue(same.exit() == 0,
                "identical sets differed beyond their spread while the host took alike from both (noise the host "
                        + "record does not see): " + same.out());
        assertThat(same.out()).contains("0 regressed");
        Run slower = RunCommandTest.jktstr("perf-delta", dir.resolve("a").toString(), dir.resolve("c").toString(), "--all");
        System.out.print(slower.out() + slower.err());
        String units = slower.out().lines().filter(l -> l.startsWith("custom/cg_0.totalWorkUnits ")).findFirst()
                .orElseThrow();
        org.junit.jupiter.api.Assumptions.assumeFalse(units.endsWith("NOISY"),
                "the host was too busy for " + RUNS + " runs a side to tell a halving from noise: " + units);
        org.junit.jupiter.api.Assumptions.assumeFalse(units.endsWith("HOST"),
                "the host took from the two sides unlike: " + slower.out().lines().filter(l -> l.startsWith("host:"))
                        .findFirst().orElse(units));
        assertThat(slower.exit()).as(slower.out() + slower.err()).isEqualTo(PerfDeltaCommand.REGRESSED);
        assertThat(units).endsWith("REGRESSION");
    }

    private static RunResult run(Ctx ctx, WorkType work) {
        return Scenarios.execute(ctx, List.of(CgroupDef.named("cg_0").workers(1).work(work)));
    }
}
