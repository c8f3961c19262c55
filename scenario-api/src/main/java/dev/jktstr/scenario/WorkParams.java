package dev.jktstr.scenario;

import java.time.Duration;

/** Range checks for the work-type factories: each names the field and says what it got. */
final class WorkParams {
    private WorkParams() {
    }

    static int within(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new InvalidScenarioException("work." + field, "must be within " + min + ".." + max + ", got " + value);
        }
        return value;
    }

    static int micros(String field, Duration d, long minUs, long maxUs) {
        long us = d == null ? -1 : d.toNanos() / 1000;
        if (d == null || us < minUs || us > maxUs) {
            throw new InvalidScenarioException("work." + field, "must be between " + minUs + " µs and " + maxUs + " µs, got "
                    + d);
        }
        return (int) us;
    }

    static int millis(String field, Duration d, long minMs, long maxMs) {
        long ms = d == null ? -1 : d.toMillis();
        if (d == null || d.isNegative() || ms < minMs || ms > maxMs) {
            throw new InvalidScenarioException("work." + field, "must be between " + minMs + " ms and " + maxMs + " ms, got "
                    + d);
        }
        return (int) ms;
    }
}
