package dev.jktstr.scenario;

import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.Sampler;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One run's view of the guest kernel's memory: the sampler that snapshots it while a step holds (samples taken while
 * ops are applied are dropped), the latest sample for the live telemetry, and the snapshots {@link Op#snapshot()}
 * asks for. Without introspection (switched off, no System.map, attaching failed) nothing is sampled and the
 * summary says why.
 */
final class RunMonitor {
    /** How often the monitor snapshots the guest kernel while holding (each pause costs well under a millisecond). */
    static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);
    /** Bound on the samples one run keeps (over an hour at the interval above). */
    private static final int MAX_SAMPLES = 16_384;
    /** What the monitor samples: runqueues, sched_ext state and the DSQs (local, global, user), no maps or tasks. */
    static final SnapshotOptions SAMPLE_OPTIONS = new SnapshotOptions(true, false, false, false, false);
    /** Bound on the snapshots {@link Op#snapshot()} keeps per run. */
    private static final int MAX_SNAPSHOTS = 100;

    private final Ctx ctx;
    private final RunRecord record;
    private final List<Snapshot> samples = new ArrayList<>(); // guarded by itself; filled by the sampler thread
    private final List<Snapshot> snapshots = new ArrayList<>();
    private volatile boolean holding;
    private volatile Snapshot latestSample;
    private Sampler sampler; // null: not sampling

    RunMonitor(Ctx ctx, RunRecord record) {
        this.ctx = ctx;
        this.record = record;
    }

    /** Starts sampling the guest kernel (kept only while holding), unless monitoring is off or there is no introspection. */
    void start() {
        if (!ctx.monitoring()) {
            return;
        }
        Optional<Introspector> in = ctx.introspector();
        if (in.isEmpty()) {
            return;
        }
        sampler = Sampler.start(in.get(), SAMPLE_INTERVAL, SAMPLE_OPTIONS, 1, s -> {
            if (holding) {
                latestSample = s;
                synchronized (samples) {
                    if (samples.size() < MAX_SAMPLES) {
                        samples.add(s);
                    }
                }
            }
        });
    }

    /** Whether a step holds now: samples are kept only then. */
    void holding(boolean on) {
        holding = on;
    }

    boolean holding() {
        return holding;
    }

    /** The latest sample kept, null before the first. */
    Snapshot latestSample() {
        return latestSample;
    }

    /** Stops sampling; before the run's workers are stopped, so no sample sees them go. */
    void stop() {
        holding = false;
        if (sampler != null) {
            sampler.close();
        }
    }

    /** The samples reduced for the monitor checks (after {@link #stop()}), with the snapshots taken on request. */
    MonitorSummary summarize(HostTimeline host) {
        if (sampler == null) {
            String status = ctx.monitoring() ? ctx.introspectionStatus() : "off: monitoring switched off";
            return MonitorSummary.notSampled(status, snapshots);
        }
        sampler.failure().ifPresent(e -> record.note("monitor: sampling stopped early: " + e));
        List<Snapshot> series;
        synchronized (samples) {
            series = List.copyOf(samples);
        }
        return MonitorSummary.of(series, ctx.currentScheduler() instanceof Scheduler.Binary, snapshots, host::share);
    }

    /** The kept samples as time series against the run's clock (after {@link #stop()}). */
    MonitorSeries series() {
        synchronized (samples) {
            return MonitorSeries.of(samples, record.t0);
        }
    }

    /** {@link Op#snapshot()}: one snapshot into the result and a line into the notes (at most {@link #MAX_SNAPSHOTS}). */
    void takeSnapshot() {
        Optional<Introspector> in = ctx.introspector();
        if (in.isEmpty()) {
            record.note("snapshot: " + ctx.introspectionStatus());
            return;
        }
        if (snapshots.size() >= MAX_SNAPSHOTS) {
            return;
        }
        try {
            Snapshot s = in.get().snapshot(new SnapshotOptions(true, false, false, false, false));
            snapshots.add(s);
            record.note("snapshot " + snapshots.size() + ": " + oneLine(s));
        } catch (RuntimeException e) {
            record.note("snapshot failed: " + e);
        }
    }

    private static String oneLine(Snapshot s) {
        StringBuilder b = new StringBuilder();
        for (RunqueueState r : s.runqueues()) {
            b.append(b.isEmpty() ? "" : ", ").append("cpu").append(r.cpu()).append(" nr_running=").append(r.nrRunning());
            if (r.localDsqDepth() != null) {
                b.append(" local_dsq=").append(r.localDsqDepth());
            }
        }
        if (s.schedExt() != null) {
            b.append("; sched_ext ").append(s.schedExt().enableState()).append(' ').append(s.schedExt().opsName());
        }
        if (!s.allErrors().isEmpty()) {
            b.append("; ").append(s.allErrors().size()).append(" unreadable field(s)");
        }
        return b.toString();
    }
}
