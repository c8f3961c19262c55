package dev.jktstr.machine;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Rate-limited logging for one source of messages a guest can trigger at will (unsolicited agent frames, a virtio
 * device failed and reset in a loop): the first {@code first} messages go to the sink, the next one is replaced by a
 * line saying the rest is only counted, and {@link #summarize()} (at close) writes one line with that count. A flood
 * of any length costs {@code first + 2} lines. The message of a suppressed event is never even built.
 *
 * <p>One instance per source, kept for the source's whole life: whatever the guest resets (a device reset, a
 * reconnect) must not reset the limit. Thread-safe.
 */
public final class LogLimit {

    private final String source;
    private final int first;
    private final Consumer<String> sink;
    private final AtomicLong seen = new AtomicLong();
    private final AtomicLong summarized = new AtomicLong();

    /**
     * @param source what the messages are about, for the suppression and count lines ("virtio-console: device failures")
     * @param first  how many messages are written before counting starts
     * @param sink   where lines go (a logger's {@code warn}, say)
     */
    public LogLimit(String source, int first, Consumer<String> sink) {
        if (first < 0) {
            throw new IllegalArgumentException("first must not be negative: " + first);
        }
        this.source = Objects.requireNonNull(source, "source");
        this.first = first;
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** Writes the message while under the limit; counts it otherwise. Returns whether it was written. */
    public boolean log(Supplier<String> message) {
        long n = seen.incrementAndGet();
        if (n <= first) {
            sink.accept(message.get());
            return true;
        }
        if (n == first + 1L) {
            sink.accept(source + ": more than " + first + " messages; the rest are only counted");
        }
        return false;
    }

    /** Messages seen so far, written or not. */
    public long seen() {
        return seen.get();
    }

    /** Messages counted but not written so far. */
    public long suppressed() {
        return Math.max(0, seen.get() - first);
    }

    /** Writes one line with the number of messages suppressed since the last summary, if any were. */
    public void summarize() {
        long total = suppressed();
        long before = summarized.getAndAccumulate(total, Math::max);
        if (total > before) {
            sink.accept(source + ": " + (total - before) + " more message(s) suppressed");
        }
    }
}
