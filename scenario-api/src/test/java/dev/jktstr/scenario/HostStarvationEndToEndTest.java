package dev.jktstr.scenario;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host that does not run the VM is not a guest stall: one guest under QEMU TCG (1,1,2,1, EEVDF, 4 spinners), starved
 * on purpose for 3 s from the hold's first second of an 8 s run — QEMU is SIGSTOPped, and stopped again at once whenever the monitor's
 * own freeze/thaw lets it go — while the monitor keeps sampling. The runqueue clocks freeze and every worker sees a gap
 * of about 3 s, far over the 2 s EEVDF gap limit: without the host times this run FAILs twice over
 * ({@code monitor.rqClockStalls}, {@code cg_*.maxGapMs}); with them it must not FAIL, and the claims must say the host
 * was to blame. The opposite, a real stall the host had no part in, is {@link GuestStallEndToEndTest}.
 */
@BootsVm
class HostStarvationEndToEndTest {
    private static final int SIGCONT = 18;
    private static final int SIGSTOP = 19;
    private static final MethodHandle KILL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private static Ctx ctx;
    private static long qemuPid;

    @BeforeAll
    static void boot() {
        java.util.Set<Long> earlier = qemuChildren().map(ProcessHandle::pid).collect(java.util.stream.Collectors.toSet());
        ctx = TestAssets.vm().scheduler(Scheduler.eevdf()).boot();
        // This guest's QEMU is the one child that was not there before the boot (start times from /proc are too
        // coarse to compare with the wall clock: that filter once found none).
        List<ProcessHandle> added = qemuChildren().filter(p -> !earlier.contains(p.pid())).toList();
        if (added.size() != 1) {
            throw new AssertionError("expected one new QEMU child of this JVM after the boot, found " + added);
        }
        qemuPid = added.getFirst().pid();
    }

    private static java.util.stream.Stream<ProcessHandle> qemuChildren() {
        return ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.contains("qemu-system")).orElse(false));
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    private static void kill(long pid, int signal) {
        try {
            int rc = (int) KILL.invokeExact((int) pid, signal);
            if (rc != 0) {
                throw new AssertionError("kill(" + pid + ", " + signal + ") failed");
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Keeps QEMU stopped for {@code length}: SIGSTOP every half millisecond, SIGCONT at the end. */
    private static Thread starver(Duration length, AtomicBoolean done) {
        return Thread.ofPlatform().daemon().name("starver").unstarted(() -> {
            try {
                long end = System.nanoTime() + length.toNanos();
                while (System.nanoTime() < end) {
                    kill(qemuPid, SIGSTOP);
                    Thread.sleep(Duration.ofNanos(500_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                kill(qemuPid, SIGCONT);
                done.set(true);
            }
        });
    }

    @Test
    void aVmTheHostStoppedIsInconclusiveNotFail(@TempDir Path dir) throws Exception {
        AtomicBoolean starved = new AtomicBoolean();
        ctx.duration(Duration.ofSeconds(8));
        // What this test judges is the host-aware stall and gap claims. Balance, fairness, wake latency and rates
        // of a VM the host stopped for 3 s say nothing about the guest and are not host-judged yet: off here
        // (they once made this run FAIL with an imbalance p90 of 6).
        ctx.thresholds(Assert.none().withMaxImbalance(Double.NaN).withFairnessSpread(Double.NaN)
                .withThroughputCv(Double.NaN).withP99WakeLatencyUs(Double.NaN).withMigrationRatio(Double.NaN)
                .withMinWorkRate(Double.NaN));
        // 4 spinners on 2 CPUs: both runqueues always have runnable tasks, so a frozen clock counts as a stall.
        // The stop starts once the workers have run a second (not at a fixed time after the call: under load
        // setting the run up can take seconds, and a stop that ends before the hold starves nobody's gaps).
        Thread t = starver(Duration.ofSeconds(3), starved);
        AtomicBoolean started = new AtomicBoolean();
        ctx.onProgress(p -> {
            if (p.elapsed().toMillis() >= 1000 && started.compareAndSet(false, true)) {
                t.start();
            }
        });
        RunResult r;
        try {
            r = Scenarios.execute(ctx, List.of(CgroupDef.named("cg_0").workers(2), CgroupDef.named("cg_1").workers(2)));
        } finally {
            ctx.onProgress(null);
        }
        assertThat(started).as("the run reported progress after its first second, which starts the stop").isTrue();
        t.join();
        Path f = r.write(dir.resolve("starved.json"));
        System.out.printf("starved (%s): %s%n%s", r.backend(), f, r.verdict().table());
        assertThat(starved).isTrue();

        assertThat(r.outcome()).as(r.verdict().reason()).isNotEqualTo(Outcome.FAIL);
        assertThat(r.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        // the monitor saw the clocks stop, and put every stall down to the host
        MonitorSummary m = r.monitor();
        assertThat(m.status()).isEqualTo("sampled");
        assertThat(m.stalls()).as(m.describe()).isNotEmpty();
        assertThat(m.judgedStalls()).allSatisfy(j -> assertThat(j.cause()).as(j.describe()).isEqualTo("host"));
        ClaimResult stalls = claim(r, "monitor.rqClockStalls");
        assertThat(stalls.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        assertThat(stalls.detail()).contains("host — ran").contains("stopped").contains("the host did not run the vCPU");
        // every worker waited out the stop: gaps over the limit, excused by the host's part
        for (String cg : List.of("cg_0", "cg_1")) {
            CgroupStats c = r.cgroup(cg);
            assertThat(c.maxGapMs()).as(cg + " worst gap").isGreaterThan(2000);
            // within the 2 s limit: what the host is not to blame for includes the monitor's own freezes (up to ~0.8 s seen)
            assertThat(c.maxGuestGapMs()).as(cg + " the guest's part").isLessThan(2000);
            ClaimResult gap = claim(r, cg + ".maxGapMs");
            assertThat(gap.outcome()).as(gap.toString()).isEqualTo(Outcome.INCONCLUSIVE);
            assertThat(gap.detail()).contains("the host was to blame for").contains("stopped");
        }
        assertThat(r.verdict().notes()).anySatisfy(n -> assertThat(n).startsWith("host: vCPU 0 ran"));
    }

    private static ClaimResult claim(RunResult r, String label) {
        return r.verdict().claims().stream().filter(c -> c.label().equals(label)).findFirst()
                .orElseThrow(() -> new AssertionError("no claim " + label + " in\n" + r.verdict().table()));
    }
}
