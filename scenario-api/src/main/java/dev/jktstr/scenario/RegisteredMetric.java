package dev.jktstr.scenario;

/**
 * One metric of the result files, registered once in {@link MetricRegistry}: what it measures, in which unit,
 * which way is better, and when a change between two sets of runs counts as a regression.
 *
 * @param name the metric's name in result files (the part after {@code <scenario>/<cgroup>.})
 * @param unit e.g. {@code ms}, {@code µs}, {@code units/s}, {@code ratio}, {@code workers}
 * @param gate the default regression gate; see {@link Gate}
 * @param hostBound whether the metric moves with what the host gives the vCPUs (work done, gaps, latencies), so that
 *                  two sets of runs the host treated differently cannot be compared on it ({@code perf-delta}'s HOST)
 */
public record RegisteredMetric(String name, String unit, Polarity polarity, Kind kind, Gate gate, String description,
        boolean hostBound) {

    /** Which direction of change is an improvement. */
    public enum Polarity {
        HIGHER_IS_BETTER,
        LOWER_IS_BETTER,
        /** Describes the run (e.g. how many workers it had): reported, never a regression. */
        INFORMATIONAL
    }

    /** What sort of number it is. */
    public enum Kind {
        /** A count of events or things over the run. */
        COUNTER,
        /** A level or ratio measured over the run. */
        GAUGE,
        /** A percentile (or maximum) of a latency distribution. */
        LATENCY_PERCENTILE
    }

    /**
     * A change in the worse direction is a regression only when it passes BOTH limits: at least {@code relative}
     * of the baseline (0.25 = 25%) and at least {@code absolute} in the metric's unit. The relative limit keeps
     * tiny values from gating on absolute noise; the absolute one keeps near-zero baselines from gating on
     * huge percentages of nothing.
     */
    public record Gate(double relative, double absolute) {
        public Gate {
            if (!(relative >= 0) || !(absolute >= 0)) {
                throw new IllegalArgumentException("gate limits must be >= 0: " + relative + ", " + absolute);
            }
        }

        /** Whether going from {@code baseline} to {@code candidate} by {@code |change|} passes both limits. */
        public boolean trips(double baseline, double candidate) {
            double change = Math.abs(candidate - baseline);
            boolean relativeTrips = baseline == 0 ? change > 0 : change / Math.abs(baseline) >= relative;
            return change >= absolute && relativeTrips && change > 0;
        }
    }

    /** Whether {@code candidate} is worse than {@code baseline} for this metric (any amount). */
    public boolean worse(double baseline, double candidate) {
        return switch (polarity) {
            case HIGHER_IS_BETTER -> candidate < baseline;
            case LOWER_IS_BETTER -> candidate > baseline;
            case INFORMATIONAL -> false;
        };
    }
}
