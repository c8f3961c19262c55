package dev.jktstr.introspect;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a snapshot at a fixed interval on a daemon thread into a bounded time series (the oldest
 * samples drop once {@code capacity} is reached). Closing stops the thread.
 */
public final class Sampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sampler.class);

    private final Introspector introspector;
    private final SnapshotOptions options;
    private final int capacity;
    private final ArrayList<Snapshot> series = new ArrayList<>();
    private final ScheduledExecutorService timer;
    private final Consumer<Snapshot> listener;
    private volatile RuntimeException failure;

    private Sampler(Introspector introspector, Duration interval, SnapshotOptions options, int capacity,
            Consumer<Snapshot> listener) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("sampling interval must be positive: " + interval);
        }
        this.introspector = introspector;
        this.options = options;
        this.capacity = Math.max(1, capacity);
        this.listener = listener;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jktstr-sampler");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::sample, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Starts sampling now, every {@code interval}. */
    public static Sampler start(Introspector introspector, Duration interval, SnapshotOptions options, int capacity) {
        return new Sampler(introspector, interval, options, capacity, s -> { });
    }

    /** Like {@link #start}, also handing each snapshot to {@code listener} on the sampler thread. */
    public static Sampler start(Introspector introspector, Duration interval, SnapshotOptions options, int capacity,
            Consumer<Snapshot> listener) {
        return new Sampler(introspector, interval, options, capacity, listener);
    }

    private void sample() {
        try {
            Snapshot s = introspector.snapshot(options);
            synchronized (series) {
                if (series.size() == capacity) {
                    series.removeFirst();
                }
                series.add(s);
            }
            listener.accept(s);
        } catch (RuntimeException e) {
            // The machine went away or pausing failed: stop rather than spin on errors.
            failure = e;
            LOG.warn("sampler stopped: {}", e.toString());
            timer.shutdown();
        }
    }

    /** The samples so far, oldest first. */
    public List<Snapshot> series() {
        synchronized (series) {
            return List.copyOf(series);
        }
    }

    /** Why sampling stopped early, if it did. */
    public java.util.Optional<RuntimeException> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    /** Waits until at least {@code n} samples exist or the timeout passes; returns the series. */
    public List<Snapshot> awaitSamples(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (series().size() < n && System.nanoTime() < deadline && failure == null) {
            Thread.sleep(10);
        }
        return series();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
