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
 * {@code perf-delta} on real runs (one QEMU TCG guest of 2 vCPUs under scx_simple, fifteen 2 s runs of one worker,
 * interleaved): two sets of five spin-wait runs report no regression; a set whose worker is busy only half the time
 * (bursty, 10 ms on, 10 ms off: a slower work type) is reported on the work units. One worker, because with more
 * workers than vCPUs (first tried: four) a sleeping worker's share goes to the others and the total work does not
 * drop at all. Under TCG on a host shared with other builds, identical runs differ up to 3x in work units: then
 * perf-delta rightly calls the halving NOISY, and the second claim skips, saying how noisy the runs were.
 */
@BootsVm
class PerfDeltaRealRunsTest {
    private static final int RUNS = 5;

    @Test
    void sameSchedulerSetsPassAndASlowerWorkTypeRegressesOnWorkUnits(@TempDir Path dir) {
        Path kernel = SchedulerFailureTest.kernel();
        Path simple = SharedAssets.requireScheduler("scx_simple");
        try (Ctx ctx = Vm.builder().kernel(kernel).topology(1, 1, 2, 1).memoryMib(256).backend("qemu:tcg")
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
                System.out.printf(" %.0f units / %.0f ms gap;", m.get("custom/cg_0.totalWorkUnits"),
                        m.get("custom/cg_0.maxGapMs"));
            }
            System.out.println();
        }
        Run same = RunCommandTest.jktstr("perf-delta", dir.resolve("a").toString(), dir.resolve("b").toString(), "--all");
        System.out.print(same.out() + same.err());
        assertThat(same.exit()).as(same.out() + same.err()).isZero();
        assertThat(same.out()).contains("0 regressed");
        Run slower = RunCommandTest.jktstr("perf-delta", dir.resolve("a").toString(), dir.resolve("c").toString(), "--all");
        System.out.print(slower.out() + slower.err());
        String units = slower.out().lines().filter(l -> l.startsWith("custom/cg_0.totalWorkUnits ")).findFirst()
                .orElseThrow();
        org.junit.jupiter.api.Assumptions.assumeFalse(units.endsWith("NOISY"),
                "the host was too busy for " + RUNS + " runs a side to tell a halving from noise: " + units);
        assertThat(slower.exit()).as(slower.out() + slower.err()).isEqualTo(PerfDeltaCommand.REGRESSED);
        assertThat(units).endsWith("REGRESSION");
    }

    private static RunResult run(Ctx ctx, WorkType work) {
        return Scenarios.execute(ctx, List.of(CgroupDef.named("cg_0").workers(1).work(work)));
    }
}
