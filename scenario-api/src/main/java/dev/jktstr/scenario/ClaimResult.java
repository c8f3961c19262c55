package dev.jktstr.scenario;

/**
 * One checked claim: {@code label} (from code), the measured value, the comparison and its threshold, and whether it held.
 * {@code value} is NaN for set and sequence claims; {@code detail} then says what was seen. {@code limits} are the
 * numeric thresholds ({@code between} and {@code near} have two), empty for set and sequence claims.
 */
public record ClaimResult(String label, double value, String comparison, String threshold, java.util.List<Double> limits,
        Outcome outcome, String detail) {

    public ClaimResult {
        limits = java.util.List.copyOf(limits);
    }

    @Override
    public String toString() {
        return String.format("%-40s %-12s %s %s  %s%s", label, Double.isNaN(value) ? "-" : Verdict.fmt(value), comparison,
                threshold, outcome, detail.isEmpty() ? "" : "  (" + detail + ")");
    }
}
