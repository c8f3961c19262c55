package dev.jktstr.cli;

import java.util.List;

/**
 * One metric over several runs: the median and the spread, both robust to one odd run. The spread is the median
 * absolute deviation scaled by 1.4826 (so it estimates the standard deviation of normal noise): under QEMU TCG on a
 * shared host one run in three can be off by 2x (benchmarks/README.md), and max − min would let that single run
 * hide any change. With one run the spread is 0: nothing is known about the noise.
 *
 * @param range max − min, shown for reference
 */
record MetricSpread(double median, double spread, double range, int runs) {
    /** MAD → σ for normally distributed noise. */
    static final double MAD_TO_SIGMA = 1.4826;

    static MetricSpread of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = median(v);
        double[] dev = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            dev[i] = Math.abs(v[i] - median);
        }
        java.util.Arrays.sort(dev);
        return new MetricSpread(median, MAD_TO_SIGMA * median(dev), v[v.length - 1] - v[0], v.length);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
