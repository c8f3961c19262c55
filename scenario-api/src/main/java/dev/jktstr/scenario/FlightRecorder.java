package dev.jktstr.scenario;

import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.Sampler;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The last seconds of guest state before a failure: a ring of snapshots with runqueues, sched_ext state, DSQs and the
 * scheduler's BPF maps rendered through their BTF, taken once a second for the whole run. A failure dump holds it
 * ({@link FailureEvidence}). Slower than the monitor's sampler (maps cost more to read); without introspection it
 * records nothing and says why.
 */
final class FlightRecorder implements AutoCloseable {
    /** How often the recorder snapshots the guest. */
    static final Duration INTERVAL = Duration.ofSeconds(1);

    private final Sampler sampler; // null: not recording
    private final String status;

    private FlightRecorder(Sampler sampler, String status) {
        this.sampler = sampler;
        this.status = status;
    }

    /** Starts recording the last {@code window} of guest state ({@link Duration#ZERO}: off). */
    static FlightRecorder start(Ctx ctx, Duration window) {
        if (window.isZero() || !ctx.monitoring()) {
            return new FlightRecorder(null, "off");
        }
        Optional<Introspector> in = ctx.introspector();
        if (in.isEmpty()) {
            return new FlightRecorder(null, ctx.introspectionStatus());
        }
        int capacity = (int) Math.max(1, Math.min(3600, window.toMillis() / INTERVAL.toMillis()));
        return new FlightRecorder(Sampler.start(in.get(), INTERVAL, SnapshotOptions.SCHEDULER_AND_MAPS, capacity), "recording");
    }

    /** The snapshots held now, oldest first. */
    List<Snapshot> snapshots() {
        return sampler == null ? List.of() : sampler.series();
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
