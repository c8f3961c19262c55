package dev.jktstr.scenario;

import java.util.List;

/**
 * A run's time series: the monitor's samples, each cgroup's progress and the BPF map values the run watched
 * ({@link Ctx#watch}). Immutable; {@link #EMPTY} for a run that recorded none (a result built by hand, monitoring off).
 */
public record RunSeries(MonitorSeries monitor, List<ProgressSeries> progress, List<TimeSeries> watches) {
    public static final RunSeries EMPTY = new RunSeries(MonitorSeries.EMPTY, List.of(), List.of());

    public RunSeries {
        monitor = monitor == null ? MonitorSeries.EMPTY : monitor;
        progress = progress == null ? List.of() : List.copyOf(progress);
        watches = watches == null ? List.of() : List.copyOf(watches);
    }

    /** Series without watches. */
    public RunSeries(MonitorSeries monitor, List<ProgressSeries> progress) {
        this(monitor, progress, List.of());
    }

    /** The progress of cgroup {@code name}, if it made any reading. */
    public java.util.Optional<ProgressSeries> progress(String name) {
        return progress.stream().filter(p -> p.cgroup().equals(name)).findFirst();
    }

    /** The watched value named {@code name} ({@link MapWatch#name()}, e.g. {@code stats[1]}). */
    public TimeSeries watch(String name) {
        return watches.stream().filter(w -> w.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no watch '" + name + "' in this run; have "
                        + watches.stream().map(TimeSeries::name).toList()));
    }

    /** Cgroup {@code name}'s total work units over time, as a {@link TimeSeries} named {@code NAME.workUnits}. */
    public TimeSeries workUnits(String name) {
        ProgressSeries p = progress(name).orElseThrow(() -> new IllegalArgumentException("no progress of cgroup '" + name
                + "' in this run; have " + progress.stream().map(ProgressSeries::cgroup).toList()));
        return TimeSeries.of(name + ".workUnits", p.atMs(), p.workUnits());
    }

    /** The sum of every CPU's {@code nr_running} per monitor sample, as {@code monitor.totalNrRunning}. */
    public TimeSeries totalNrRunning() {
        return TimeSeries.of("monitor.totalNrRunning", monitor.atMs(), monitor.totalNrRunning());
    }

    /** Max − min {@code nr_running} across CPUs per monitor sample, as {@code monitor.imbalance}. */
    public TimeSeries imbalance() {
        return TimeSeries.of("monitor.imbalance", monitor.atMs(), monitor.imbalance());
    }
}
