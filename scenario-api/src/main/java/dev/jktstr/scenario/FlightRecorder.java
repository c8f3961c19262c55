package dev.jktstr.scenario;

import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.Sampler;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last seconds of guest state before a failure: a ring of snapshots with runqueues, sched_ext state, DSQs and the
 * scheduler's BPF maps rendered through their BTF, taken once a second for the whole run of a sched_ext scheduler (four times a second when
 * the run {@linkplain Ctx#watch watches} map values, which are read from the same snapshots and kept for the whole
 * run). A failure dump holds the ring ({@link FailureEvidence}). Slower than the monitor's sampler (maps cost more to
 * read); without introspection it records nothing and says why.
 */
final class FlightRecorder implements AutoCloseable {
    /** How often the recorder snapshots the guest. */
    static final Duration INTERVAL = Duration.ofSeconds(1);
    /** How often it does when map values are watched: the monitor's rate. */
    static final Duration WATCH_INTERVAL = RunMonitor.SAMPLE_INTERVAL;
    /** Bound on the readings one watch keeps (over an hour at the watch rate). */
    private static final int MAX_READINGS = 16_384;

    private final Sampler sampler; // null: not recording
    private final String status;
    private final Duration interval;
    private final long t0;
    private final Map<MapWatch, Watched> watched = new LinkedHashMap<>(); // guarded by itself

    private static final class Watched {
        final List<Long> atMs = new ArrayList<>();
        final List<Double> values = new ArrayList<>();
        String missing; // the latest reason it could not be read, null once read
    }

    private FlightRecorder(Ctx ctx, Duration window, long t0) {
        this.t0 = t0;
        List<MapWatch> watches = ctx.watches();
        watches.forEach(w -> watched.put(w, new Watched()));
        this.interval = watches.isEmpty() ? INTERVAL : WATCH_INTERVAL;
        // Under EEVDF there are no scheduler maps to keep, and the monitor's samples already cover the CPUs: a
        // second stream of guest pauses would only add to what a busy host does to the run.
        boolean eevdf = !(ctx.currentScheduler() instanceof Scheduler.Binary);
        Optional<Introspector> in = ctx.monitoring() && !(eevdf && watches.isEmpty()) ? ctx.introspector() : Optional.empty();
        if ((window.isZero() && watches.isEmpty()) || in.isEmpty()) {
            this.sampler = null;
            this.status = window.isZero() || !ctx.monitoring() ? "off"
                    : eevdf && watches.isEmpty() ? "off: no sched_ext scheduler (EEVDF), no maps to record" : ctx.introspectionStatus();
            watched.values().forEach(w -> w.missing = "not read: " + (ctx.monitoring() ? ctx.introspectionStatus() : "monitoring off"));
            return;
        }
        int capacity = (int) Math.max(1, Math.min(3600, window.toMillis() / interval.toMillis()));
        this.status = "recording";
        this.sampler = Sampler.start(in.get(), interval, SnapshotOptions.SCHEDULER_AND_MAPS, capacity, this::readWatches);
    }

    /** Starts recording the last {@code window} of guest state ({@link Duration#ZERO}: off) and the run's watches. */
    static FlightRecorder start(Ctx ctx, Duration window, long t0) {
        return new FlightRecorder(ctx, window, t0);
    }

    private void readWatches(Snapshot s) {
        long at = Math.max(0, (s.monotonicNanos() - t0) / 1_000_000);
        synchronized (watched) {
            watched.forEach((w, acc) -> {
                switch (w.read(s)) {
                    case MapWatch.Reading.Value v -> {
                        if (acc.values.size() < MAX_READINGS) {
                            acc.atMs.add(at);
                            acc.values.add(v.value());
                        }
                        acc.missing = null;
                    }
                    case MapWatch.Reading.Missing m -> {
                        if (acc.values.isEmpty()) {
                            acc.missing = m.why();
                        }
                    }
                }
            });
        }
    }

    /** The snapshots held now, oldest first. */
    List<Snapshot> snapshots() {
        return sampler == null ? List.of() : sampler.series();
    }

    /** Each watch's readings so far. */
    List<TimeSeries> watches() {
        synchronized (watched) {
            List<TimeSeries> out = new ArrayList<>();
            watched.forEach((w, acc) -> out.add(new TimeSeries(w.name(), acc.atMs, acc.values)));
            return out;
        }
    }

    /** Watches never read, each with why ("no BPF map 'stat' in the guest; nearest: stats"). */
    Map<String, String> unreadWatches() {
        synchronized (watched) {
            Map<String, String> out = new LinkedHashMap<>();
            watched.forEach((w, acc) -> {
                if (acc.values.isEmpty()) {
                    out.put(w.name(), acc.missing == null ? "no snapshot was taken" : acc.missing);
                }
            });
            return out;
        }
    }

    Duration interval() {
        return interval;
    }

    /** "recording", "off", or why nothing was recorded; with the error that stopped it early, if one did. */
    String status() {
        return sampler == null ? status : sampler.failure().map(e -> "stopped early: " + e).orElse(status);
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.close();
        }
    }
}
