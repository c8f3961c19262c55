package dev.jktstr.scenario.gauntlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget scheduler with fake jobs: never over budget, and cancel leaves nothing running. */
class BudgetSchedulerTest {
    record Job(int vcpus, long memory) {
    }

    @Test
    void concurrencyNeverExceedsTheBudget() throws Exception {
        Random random = new Random(3);
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            jobs.add(new Job(1 + random.nextInt(9), 256 + random.nextInt(4) * 512));
        }
        Budget budget = new Budget(10, 3000, 1, 4, "test");
        BudgetScheduler<Job> s = new BudgetScheduler<>(budget, Job::vcpus, Job::memory);
        AtomicInteger running = new AtomicInteger();
        AtomicLong vcpus = new AtomicLong(), memory = new AtomicLong();
        List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        s.runAll(jobs, j -> {
            int r = running.incrementAndGet();
            long v = vcpus.addAndGet(j.vcpus()), m = memory.addAndGet(j.memory());
            if (r > 1 && (v > 10 || m > 3000) || r > 4) {
                violations.add(r + " jobs, " + v + " vCPUs, " + m + " MiB");
            }
            try {
                Thread.sleep(2 + random.nextInt(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                vcpus.addAndGet(-j.vcpus());
                memory.addAndGet(-j.memory());
                running.decrementAndGet();
            }
        });
        assertThat(violations).isEmpty();
        assertThat(s.started()).isEqualTo(40);
        assertThat(s.peakVms()).isBetween(2, 4);
        assertThat(s.peakVcpus()).isLessThanOrEqualTo(10);
        assertThat(s.runningThreads()).isEmpty();
    }

    @Test
    void theFloorLetsTwoWideVmsRunOnASmallHost() throws Exception {
        // 2 cores, VMs of 9 vCPUs: the vCPU budget alone would run them one by one
        Budget b = Budget.forHost(new HostResources(2, 64 * 1024), 9);
        BudgetScheduler<Job> s = new BudgetScheduler<>(b, Job::vcpus, Job::memory);
        s.runAll(List.of(new Job(9, 2048), new Job(9, 2048), new Job(8, 2048), new Job(4, 2048)), j -> sleep(30));
        assertThat(s.peakVms()).isEqualTo(2);
        // memory still binds: two 2 GiB VMs on a host that can give 3 GiB run one at a time
        BudgetScheduler<Job> tight = new BudgetScheduler<>(Budget.forHost(new HostResources(2, 4096), 9), Job::vcpus,
                Job::memory);
        tight.runAll(List.of(new Job(4, 2048), new Job(4, 2048)), j -> sleep(10));
        assertThat(tight.peakVms()).isEqualTo(1);
    }

    @Test
    void cancelStopsStartingAndInterruptsTheRunning() throws Exception {
        BudgetScheduler<Job> s = new BudgetScheduler<>(new Budget(4, 10_000, 1, 99, ""), Job::vcpus, Job::memory);
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            jobs.add(new Job(2, 100));
        }
        AtomicInteger interrupted = new AtomicInteger();
        Thread runner = Thread.ofPlatform().start(() -> {
            try {
                s.runAll(jobs, j -> {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        interrupted.incrementAndGet();
                    }
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        while (s.runningNow() < 2) {
            Thread.sleep(5);
        }
        s.cancel();
        runner.join(Duration.ofSeconds(30));
        assertThat(runner.isAlive()).isFalse();
        assertThat(s.started()).isEqualTo(2);
        assertThat(interrupted).hasValue(2);
        assertThat(s.runningThreads()).isEmpty();
    }

    @Test
    void aCancelledGauntletClosesItsRunsAndWritesAPartialIndex(@TempDir Path dir) throws Exception {
        FakeRunner fake = new FakeRunner(60_000, 99);
        Gauntlet g = Gauntlet.builder().scenarios("steady", "mixed")
                .presets("tiny-1llc", "tiny-2llc", "odd-3llc", "smt-2llc").kernel("k", Path.of("/x"))
                .host(GauntletPlanTest.BIG_HOST).budget(new Budget(99, 10_000, 1, 2, "")).resultsDir(dir).runner(fake)
                .build();
        var future = g.runAsync();
        while (fake.running.get() < 2) {
            Thread.sleep(5);
        }
        g.cancel(); // what jktstr gauntlet's shutdown hook does on Ctrl-C
        assertThat(g.awaitDone(Duration.ofSeconds(30))).isTrue();
        GauntletResult r = future.get();
        assertThat(fake.running).hasValue(0);
        assertThat(fake.interrupted).hasValue(2);
        assertThat(r.cancelled()).isTrue();
        assertThat(r.notRun()).isEqualTo(6);
        GauntletIndex written = GauntletIndex.read(dir);
        assertThat(written.runs()).hasSize(2).allSatisfy(e -> {
            assertThat(e.outcome()).isEqualTo(GauntletOutcome.ERROR);
            assertThat(e.reason()).isEqualTo("cancelled");
        });
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("gauntlet-") && t.isAlive());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
