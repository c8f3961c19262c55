package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real stall in the guest still FAILs when the host times are taken into account: one guest under QEMU TCG
 * (1,1,2,1) with {@code scx_qmap -p -t 20} — only SCHED_EXT tasks go to qmap, and qmap drops every 20th enqueue of a
 * user task (its own stall switch), so that task is never dispatched until the kernel's watchdog throws qmap out
 * ({@code runnable task stall}, about 5 s). Two yielders with policy SCHED_EXT share CPU 1: one is dropped early and
 * waits out the watchdog while its vCPU keeps running the other. Its gap is the guest's, and the gap claim must FAIL
 * with the host's part (what the host starved the vCPU) named; the opposite case is {@link HostStarvationEndToEndTest}.
 */
@BootsVm
class GuestStallEndToEndTest {
    private static Ctx ctx;

    @BeforeAll
    static void boot() {
        ctx = TestAssets.vm().scheduler(Scheduler.binary(TestAssets.scxQmap(), "-p", "-t", "20")).boot();
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    void aSchedulerThatStopsDispatchingStillFails(@TempDir Path dir) {
        ctx.duration(Duration.ofSeconds(9));
        RunResult r = Scenarios.execute(ctx, List.of(CgroupDef.named("ext").workers(2).work(WorkType.yieldHeavy())
                .policy(SchedPolicy.EXT).affinity(CpusetSpec.cpus(1))));
        Path f = r.write(dir.resolve("qmap-stall.json"));
        System.out.printf("qmap stall (%s): %s%n%s", r.backend(), f, r.verdict().table());

        assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(r.verdict().reason()).contains("runnable task stall");
        CgroupStats ext = r.cgroup("ext");
        assertThat(ext.maxGapMs()).as("the dropped worker waited for the watchdog").isGreaterThan(4000);
        ClaimResult gap = r.verdict().claims().stream().filter(c -> c.label().equals("ext.maxGapMs")).findFirst().orElseThrow();
        // the host's part is measured and named, whatever it was
        assertThat(gap.detail()).contains("the host was to blame for").contains("the guest's part");
        double limit = gap.limits().getFirst();
        assumeTrue(ext.maxGuestGapMs() > limit, "the host starved this VM for most of the stall (" + gap.detail()
                + "): too busy to tell, so the claim is rightly not a FAIL");
        assertThat(gap.outcome()).as(gap.toString()).isEqualTo(Outcome.FAIL);
        assertThat(r.verdict().failures()).extracting(ClaimResult::label).contains("ext.maxGapMs");
    }
}
