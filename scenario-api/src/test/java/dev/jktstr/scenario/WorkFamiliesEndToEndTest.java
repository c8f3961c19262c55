package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The canned scenarios of the new work-type families (wakeups, churn) pass under EEVDF and under scx_simple in
 * real guests (QEMU TCG, the default 1,1,2,1, 3 s runs), and every cgroup did work.
 */
@BootsVm
class WorkFamiliesEndToEndTest {

    private static void runBoth(Ctx ctx, Path dir) {
        for (String name : List.of("wakeups", "churn")) {
            Scenario s = Scenarios.byName(name);
            RunResult r = Scenarios.run(ctx, s);
            Path f = r.write(dir.resolve(s.name() + "-" + r.scheduler() + ".json"));
            System.out.printf("%s under %s: %s%n%s", s.name(), r.scheduler(), f, r.verdict().table());
            assertThat(r.outcome()).as(s.name() + " under " + r.scheduler() + ": " + r.verdict().reason()).isEqualTo(Outcome.PASS);
            assertThat(r.cgroups()).allSatisfy(c -> assertThat(c.totalWorkUnits()).as(c.name()).isPositive());
        }
    }

    @Test
    void passUnderEevdf(@TempDir Path dir) {
        try (Ctx ctx = TestAssets.vm().boot()) {
            runBoth(ctx, dir);
        }
    }

    @Test
    void passUnderScxSimple(@TempDir Path dir) {
        try (Ctx ctx = TestAssets.vm().scheduler(Scheduler.binary(TestAssets.scxSimple())).boot()) {
            runBoth(ctx, dir);
        }
    }
}
