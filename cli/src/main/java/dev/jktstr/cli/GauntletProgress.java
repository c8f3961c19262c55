package dev.jktstr.cli;

import dev.jktstr.machine.GuestText;
import dev.jktstr.scenario.gauntlet.Combination;
import dev.jktstr.scenario.gauntlet.GauntletEntry;
import dev.jktstr.scenario.gauntlet.GauntletListener;
import dev.jktstr.scenario.gauntlet.GauntletOutcome;
import dev.jktstr.scenario.gauntlet.GauntletPlan;
import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@code jktstr gauntlet}'s progress on stderr through {@link ProgressLine}: the plan once, a line per run as it
 * starts and ends, and one progress line for the whole matrix (done/running/queued, outcomes so far, ETA from the
 * average so far: elapsed ÷ done × what is left), refreshed every second.
 */
final class GauntletProgress implements GauntletListener, AutoCloseable {
    private final ProgressLine line;
    private final PrintWriter err;
    private final LongSupplier nanoClock;
    private final Map<GauntletOutcome, Integer> outcomes = new EnumMap<>(GauntletOutcome.class);
    private final ScheduledExecutorService ticker;
    private long start;
    private int total;
    private int done;
    private int running;

    GauntletProgress(PrintWriter err, ProgressLine line, LongSupplier nanoClock, boolean tick) {
        this.err = err;
        this.line = line;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
        this.ticker = tick ? Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("gauntlet-progress").unstarted(r)) : null;
    }

    static GauntletProgress forStderr(PrintWriter err) {
        return new GauntletProgress(err, ProgressLine.forStderr(err), System::nanoTime, true);
    }

    @Override
    public synchronized void planned(GauntletPlan plan) {
        plan.describe().forEach(line::message);
        total = plan.toRun().size();
        start = nanoClock.getAsLong();
        if (ticker != null) {
            ticker.scheduleAtFixedRate(this::refresh, 1, 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public synchronized void started(Combination c) {
        running++;
        line.message("started  " + c.key() + " (" + c.vcpus() + " vCPUs)");
        line.show(format());
    }

    @Override
    public synchronized void finished(GauntletEntry e) {
        running--;
        done++;
        outcomes.merge(e.outcome(), 1, Integer::sum);
        line.message(String.format(Locale.ROOT, "finished %s: %s in %.1f s%s", e.key(), e.outcome(), e.wallMs() / 1e3,
                e.reason() == null ? "" : " — " + GuestText.line(e.reason(), 200)));
        line.show(format());
    }

    private synchronized void refresh() {
        if (done < total) {
            line.show(format());
        }
    }

    /** {@code gauntlet 3/8 done, 2 running, 3 queued | PASS 2, FAIL 1 | 1m12s elapsed, ETA 1m40s}. */
    synchronized String format() {
        long elapsedMs = (nanoClock.getAsLong() - start) / 1_000_000;
        int queued = total - done - running;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "gauntlet %d/%d done, %d running, %d queued", done,
                total, running, queued));
        if (!outcomes.isEmpty()) {
            b.append(" | ");
            StringBuilder o = new StringBuilder();
            outcomes.forEach((k, v) -> o.append(o.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
            b.append(o);
        }
        b.append(" | ").append(duration(elapsedMs)).append(" elapsed, ETA ");
        b.append(done == 0 ? "?" : duration(elapsedMs * (total - done) / done));
        return b.toString();
    }

    static String duration(long ms) {
        long s = Math.round(ms / 1000.0);
        return s < 60 ? s + "s" : (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
            try {
                ticker.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        line.finish();
        err.flush();
    }
}
