package dev.jktstr.scenario.gauntlet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs no VM: sleeps {@code millis}, writes a minimal result file and decides the outcome from the key alone (the
 * oracle the tests compare against): FAIL for scenario "mixed" on "odd-3llc", INCONCLUSIVE for "smt-2llc", else PASS.
 * Tracks the VMs and vCPUs "running" at once.
 */
final class FakeRunner implements CombinationRunner {
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger peak = new AtomicInteger();
    final AtomicLong vcpus = new AtomicLong();
    final AtomicLong peakVcpus = new AtomicLong();
    final AtomicInteger interrupted = new AtomicInteger();
    private final long millis;
    private final long budgetVcpus;
    volatile boolean overBudget;

    FakeRunner(long millis, long budgetVcpus) {
        this.millis = millis;
        this.budgetVcpus = budgetVcpus;
    }

    static GauntletOutcome expected(RunKey k) {
        if (k.scenario().equals("mixed") && k.preset().equals("odd-3llc")) {
            return GauntletOutcome.FAIL;
        }
        return k.preset().equals("smt-2llc") ? GauntletOutcome.INCONCLUSIVE : GauntletOutcome.PASS;
    }

    @Override
    public GauntletEntry run(Combination c, Path resultsDir) {
        int now = running.incrementAndGet();
        long v = vcpus.addAndGet(c.vcpus());
        peak.accumulateAndGet(now, Math::max);
        peakVcpus.accumulateAndGet(v, Math::max);
        if (now > 1 && v > budgetVcpus) {
            overBudget = true;
        }
        try {
            Thread.sleep(millis);
            String rel = "runs/" + c.key().fileName();
            Files.createDirectories(resultsDir.resolve("runs"));
            Files.writeString(resultsDir.resolve(rel), "{\"version\":1,\"scenario\":\"" + c.key().scenario() + "\",\"cgroups\":[]}");
            GauntletOutcome o = expected(c.key());
            return new GauntletEntry(c.key(), o, o == GauntletOutcome.PASS ? null : "fake " + o, rel, millis);
        } catch (InterruptedException e) {
            interrupted.incrementAndGet();
            return new GauntletEntry(c.key(), GauntletOutcome.ERROR, "cancelled", null, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            running.decrementAndGet();
            vcpus.addAndGet(-c.vcpus());
        }
    }
}
