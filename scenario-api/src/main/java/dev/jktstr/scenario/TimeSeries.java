package dev.jktstr.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One named quantity over a run: values at times (milliseconds since the run started, increasing), what temporal
 * claims ({@link SeriesClaim}) are made on. Points the sampler could not read are left out. Immutable.
 *
 * @param name  what it measures, the claim's label ({@code stats[1]}, {@code cpu0.nr_running})
 * @param atMs  when each value was read
 * @param values the values, one per time
 */
public record TimeSeries(String name, List<Long> atMs, List<Double> values) {
    public TimeSeries {
        Objects.requireNonNull(name, "name");
        atMs = List.copyOf(atMs);
        values = List.copyOf(values);
        if (atMs.size() != values.size()) {
            throw new IllegalArgumentException("series " + name + ": " + atMs.size() + " times, " + values.size() + " values");
        }
        for (int i = 1; i < atMs.size(); i++) {
            if (atMs.get(i) < atMs.get(i - 1)) {
                throw new IllegalArgumentException("series " + name + ": time goes back at point " + i);
            }
        }
    }

    /** The series of the points whose value is not null ({@code values} may hold nulls, as the result's series do). */
    public static TimeSeries of(String name, List<Long> atMs, List<? extends Number> values) {
        if (atMs.size() != values.size()) {
            throw new IllegalArgumentException("series " + name + ": " + atMs.size() + " times, " + values.size() + " values");
        }
        List<Long> at = new ArrayList<>();
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < atMs.size(); i++) {
            Number n = values.get(i);
            if (n != null) {
                at.add(atMs.get(i));
                v.add(n.doubleValue());
            }
        }
        return new TimeSeries(name, at, v);
    }

    public int size() {
        return values.size();
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** The points read in [{@code fromMs}, {@code toMs}): a step's part of the run, say. */
    public TimeSeries window(long fromMs, long toMs) {
        List<Long> at = new ArrayList<>();
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (atMs.get(i) >= fromMs && atMs.get(i) < toMs) {
                at.add(atMs.get(i));
                v.add(values.get(i));
            }
        }
        return new TimeSeries(name + "[" + fromMs + "ms," + toMs + "ms)", at, v);
    }

    /** The first value, NaN for an empty series. */
    public double first() {
        return isEmpty() ? Double.NaN : values.getFirst();
    }

    /** The last value, NaN for an empty series. */
    public double last() {
        return isEmpty() ? Double.NaN : values.getLast();
    }

    /** Last minus first: what a counter grew by; NaN for an empty series. */
    public double delta() {
        return last() - first();
    }

    /** The value last read at or before {@code ms} (a step boundary, say); NaN when none was read by then. */
    public double valueAt(long ms) {
        double v = Double.NaN;
        for (int i = 0; i < size() && atMs.get(i) <= ms; i++) {
            v = values.get(i);
        }
        return v;
    }

    /** Where point {@code i} lies, for a claim's detail: {@code sample 7 (t=3.25 s)}. */
    String where(int i) {
        return "sample " + i + " (t=" + String.format(java.util.Locale.ROOT, "%.2f", atMs.get(i) / 1000.0) + " s)";
    }
}
