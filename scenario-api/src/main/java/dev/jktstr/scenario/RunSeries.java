package dev.jktstr.scenario;

import java.util.List;

/**
 * A run's time series: the monitor's samples and each cgroup's progress. Immutable; {@link #EMPTY} for a run that
 * recorded none (a result built by hand, monitoring off).
 */
public record RunSeries(MonitorSeries monitor, List<ProgressSeries> progress) {
    public static final RunSeries EMPTY = new RunSeries(MonitorSeries.EMPTY, List.of());

    public RunSeries {
        monitor = monitor == null ? MonitorSeries.EMPTY : monitor;
        progress = progress == null ? List.of() : List.copyOf(progress);
    }

    /** The progress of cgroup {@code name}, if it made any reading. */
    public java.util.Optional<ProgressSeries> progress(String name) {
        return progress.stream().filter(p -> p.cgroup().equals(name)).findFirst();
    }
}
