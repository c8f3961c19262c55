package dev.jktstr.guest;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A frame from the guest that has begun must end in time. The reader marks where it is ({@link #started()} at a frame's
 * first byte, {@link #finished()} once it is whole); a watchdog thread checks and, when a frame has been in progress
 * longer than the deadline, hands a description to {@code onOverdue} once and stops. Idle time between frames is not
 * bounded: a quiet guest is fine, a guest that sends a header promising 4 MiB and then a byte a second is not (without
 * this every call on the channel would burn its whole timeout and the channel would never be called broken).
 */
final class FrameDeadline implements AutoCloseable {
    private static final long IDLE = Long.MIN_VALUE;

    private volatile long startedNanos = IDLE;
    private volatile Duration deadline;
    private final Thread watchdog;

    FrameDeadline(Duration deadline, Consumer<String> onOverdue) {
        this.deadline = requirePositive(deadline);
        Objects.requireNonNull(onOverdue, "onOverdue");
        this.watchdog = Thread.ofPlatform().daemon().name("jktstr-agent-frame-deadline").unstarted(() -> watch(onOverdue));
    }

    void start() {
        watchdog.start();
    }

    Duration deadline() {
        return deadline;
    }

    void deadline(Duration d) {
        this.deadline = requirePositive(d);
    }

    /** The reader received a frame's first byte. */
    void started() {
        startedNanos = System.nanoTime();
    }

    /** The reader has the whole frame (or gave up on it). */
    void finished() {
        startedNanos = IDLE;
    }

    private void watch(Consumer<String> onOverdue) {
        try {
            while (true) {
                Duration d = deadline;
                Thread.sleep(Duration.ofNanos(Math.clamp(d.toNanos() / 4, 1_000_000L, 250_000_000L)));
                long started = startedNanos;
                if (started != IDLE) {
                    long inProgress = System.nanoTime() - started;
                    if (inProgress > d.toNanos() && startedNanos == started) {
                        onOverdue.accept("a frame from the guest began " + inProgress / 1_000_000 + " ms ago and is still"
                                + " incomplete (frame deadline " + d.toMillis() + " ms): the guest stalls mid-frame");
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    @Override
    public void close() {
        watchdog.interrupt();
    }

    private static Duration requirePositive(Duration d) {
        Objects.requireNonNull(d, "deadline");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("frame deadline must be positive: " + d);
        }
        return d;
    }
}
