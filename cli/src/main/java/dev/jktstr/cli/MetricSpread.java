package dev.jktstr.cli;

import java.util.List;

/**
 * One metric over several runs: the median (robust to one odd run) and the spread, max − min, which is what the
 * runs say the noise is. With one run the spread is 0: nothing is known about the noise.
 */
record MetricSpread(double median, double spread, int runs) {

    static MetricSpread of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new MetricSpread(median, v[n - 1] - v[0], n);
    }
}
