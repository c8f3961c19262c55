package dev.jktstr.scenario;

import java.time.Duration;

/**
 * How long a step holds after its ops: a fraction of the run's duration, a fixed time, or a loop (a fraction of the
 * run during which the step's ops are applied again every {@code interval}, e.g. cpusets flipping back and forth).
 */
public sealed interface HoldSpec {

    static HoldSpec fraction(double f) {
        return new Fraction(f);
    }

    static HoldSpec fixed(Duration d) {
        return new Fixed(d);
    }

    static HoldSpec loop(double fraction, Duration interval) {
        return new Loop(fraction, interval);
    }

    /** The hold for a run of {@code total}. */
    Duration of(Duration total);

    void validate(String field);

    record Fraction(double value) implements HoldSpec {
        @Override
        public Duration of(Duration total) {
            return Duration.ofNanos((long) (total.toNanos() * value));
        }

        @Override
        public void validate(String field) {
            if (!(value > 0 && value <= 1)) {
                throw new InvalidScenarioException(field, "fraction must be in (0, 1], got " + value);
            }
        }
    }

    record Loop(double fraction, Duration interval) implements HoldSpec {
        @Override
        public Duration of(Duration total) {
            return Duration.ofNanos((long) (total.toNanos() * fraction));
        }

        @Override
        public void validate(String field) {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new InvalidScenarioException(field, "fraction must be in (0, 1], got " + fraction);
            }
            if (interval == null || interval.toMillis() < 1) {
                throw new InvalidScenarioException(field + ".interval", "must be at least 1 ms, got " + interval);
            }
        }
    }

    record Fixed(Duration value) implements HoldSpec {
        @Override
        public Duration of(Duration total) {
            return value;
        }

        @Override
        public void validate(String field) {
            if (value == null || value.isNegative()) {
                throw new InvalidScenarioException(field, "duration must not be negative, got " + value);
            }
        }
    }
}
