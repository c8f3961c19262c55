package dev.jktstr.virtio;

import java.util.function.LongSupplier;

/**
 * A token bucket holding at most one second of its rate. A request may run while the bucket is not
 * in debt; its cost is then taken even if that drives the bucket negative, and the next request
 * waits until the debt is repaid. So the long-run rate is the limit, large requests are never
 * starved, and the wait falls on the device worker, never on a vCPU.
 */
final class TokenBucket {

    private static final double NANOS_PER_SECOND = 1e9;

    private final long ratePerSecond;
    private final LongSupplier nanoTime;
    private double tokens;
    private long refilledAt;
    private boolean waiting;
    private long charged;
    private long waits;
    private long waitedNanos;

    TokenBucket(long ratePerSecond, LongSupplier nanoTime) {
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("rate " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.nanoTime = nanoTime;
        this.tokens = ratePerSecond;
        this.refilledAt = nanoTime.getAsLong();
    }

    /** 0 when a request may run now, else the nanoseconds until the debt is repaid. */
    long delayNanos() {
        refill();
        if (tokens >= 0) {
            waiting = false;
            return 0;
        }
        long delay = Math.max(1, (long) Math.ceil(-tokens * NANOS_PER_SECOND / ratePerSecond));
        if (!waiting) {
            waiting = true;
            waits++;
            waitedNanos += delay;
        }
        return delay;
    }

    void charge(long amount) {
        refill();
        tokens -= amount;
        charged += amount;
    }

    private void refill() {
        long now = nanoTime.getAsLong();
        long elapsed = now - refilledAt;
        if (elapsed > 0) {
            tokens = Math.min(ratePerSecond, tokens + elapsed * (ratePerSecond / NANOS_PER_SECOND));
            refilledAt = now;
        }
    }

    long rate() {
        return ratePerSecond;
    }

    /** Tokens (bytes or requests) charged so far. */
    long charged() {
        return charged;
    }

    /** How many times a request had to wait. */
    long waits() {
        return waits;
    }

    /** The waits' lengths as first computed, summed. */
    long waitedNanos() {
        return waitedNanos;
    }

    double tokens() {
        return tokens;
    }
}
