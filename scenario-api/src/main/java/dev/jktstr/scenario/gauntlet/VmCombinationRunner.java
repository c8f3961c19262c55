package dev.jktstr.scenario.gauntlet;

import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.SchedulerFailedException;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Vm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a combination in its own VM: boot, the scenario, the result file {@code runs/<key>.json} (written by
 * {@link RunResult#write}), power off. A scheduler that fails to attach is FAIL (as in {@code jktstr run}); anything
 * else that goes wrong (boot, timeout, a guest that dies, cancellation) is ERROR with the reason.
 */
public final class VmCombinationRunner implements CombinationRunner {
    /** Subdirectory of the results directory holding the run files. */
    public static final String RUNS_DIR = "runs";

    private final Optional<String> backend;
    private final String commandLine;
    private final Duration bootTimeout;
    private final boolean snapshot;
    private final Set<Ctx> live = ConcurrentHashMap.newKeySet();
    private volatile boolean cancelled;

    public VmCombinationRunner(Optional<String> backend, String commandLine, Duration bootTimeout) {
        this(backend, commandLine, bootTimeout, false);
    }

    /**
     * With {@code snapshot}, each VM starts from the snapshot of its configuration ({@link Vm.Builder#snapshot}): the
     * first of a topology boots cold and saves it, the rest (other scenarios, other schedulers) restore it.
     */
    public VmCombinationRunner(Optional<String> backend, String commandLine, Duration bootTimeout, boolean snapshot) {
        this.backend = backend;
        this.commandLine = commandLine;
        this.bootTimeout = bootTimeout;
        this.snapshot = snapshot;
    }

    @Override
    public GauntletEntry run(Combination c, Path resultsDir) {
        long t0 = System.nanoTime();
        try {
            Vm.Builder b = Vm.builder().topology(c.topology()).memoryMib(c.memoryPerNodeMib()).scheduler(c.scheduler())
                    .duration(c.duration()).commandLine(commandLine).bootTimeout(bootTimeout).snapshot(snapshot);
            c.kernel().ifPresent(b::kernel);
            backend.ifPresent(b::backend);
            Vm vm = b.build();
            vm.validate(c.scenario());
            RunResult r;
            try (Ctx ctx = vm.boot()) {
                live.add(ctx);
                try {
                    if (cancelled || Thread.currentThread().isInterrupted()) {
                        return error(c, t0, "cancelled");
                    }
                    r = Scenarios.run(ctx, c.scenario());
                } finally {
                    live.remove(ctx);
                }
            }
            if (cancelled) {
                return error(c, t0, "cancelled");
            }
            String relative = RUNS_DIR + "/" + c.key().fileName();
            r.write(resultsDir.resolve(relative));
            String reason = r.verdict().reason();
            return new GauntletEntry(c.key(), GauntletOutcome.of(r.outcome()), reason.isEmpty() ? null : reason, relative,
                    millisSince(t0));
        } catch (SchedulerFailedException e) {
            return new GauntletEntry(c.key(), cancelled ? GauntletOutcome.ERROR : GauntletOutcome.FAIL,
                    cancelled ? "cancelled" : "scheduler " + e.scheduler() + " " + e.reason(), null, millisSince(t0));
        } catch (RuntimeException e) {
            return error(c, t0, cancelled ? "cancelled" : e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static GauntletEntry error(Combination c, long t0, String reason) {
        return new GauntletEntry(c.key(), GauntletOutcome.ERROR, reason, null, millisSince(t0));
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Kills every running VM (its QEMU); the scenario threads then fail fast and close what is left. */
    @Override
    public void cancelAll() {
        cancelled = true;
        for (Ctx ctx : live) {
            try {
                ctx.machine().close();
            } catch (RuntimeException e) {
                // closing a dying machine: nothing more to do
            }
        }
    }
}
