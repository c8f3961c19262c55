package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Everything a run produced: identity (kernel, topology, backend, scheduler), per-cgroup telemetry, the scheduler's
 * end state and the verdict. {@link #write(Path)} stores it as JSON.
 *
 * @param scheduler  the scheduler in charge when the run started
 * @param schedulers every scheduler in charge during the run, in order (more than one after
 *                   {@link Op#replaceScheduler}, {@link Op#detachScheduler()} or {@link Op#attachScheduler()})
 * @param timeline   steps and scheduler changes with their times
 * @param thresholds the layers the checks' thresholds came from
 * @param steps      the scenario's steps as they ran (cpusets resolved against {@code topology} when written)
 * @param host       the host when the run started (cores, load, backend, kvm); null in a result built by hand
 * @param series     the monitor's samples and each cgroup's progress over time ({@link RunSeries#EMPTY} if none)
 * @param payloads   how each payload the run started ended ({@link Op#runPayload}), in start order
 */
public record RunResult(String scenario, Instant started, Duration elapsed, Duration duration, String kernelRelease,
        String kernelImage, Topology topology, String backend, String scheduler, String schedExtState,
        Optional<String> schedulerExit, List<CgroupStats> cgroups, Verdict verdict, MonitorSummary monitor,
        List<String> schedulers, List<TimelineEvent> timeline, ThresholdLayers thresholds, List<Step> steps,
        HostFacts host, RunSeries series, List<PayloadResult> payloads) {

    public RunResult {
        payloads = payloads == null ? List.of() : List.copyOf(payloads);
        steps = steps == null ? List.of() : List.copyOf(steps);
        series = series == null ? RunSeries.EMPTY : series;
        cgroups = List.copyOf(cgroups);
        if (monitor == null) {
            monitor = MonitorSummary.notSampled("off", List.of());
        }
        schedulers = schedulers == null || schedulers.isEmpty() ? List.of(scheduler) : List.copyOf(schedulers);
        timeline = timeline == null ? List.of() : List.copyOf(timeline);
        if (thresholds == null) {
            thresholds = new ThresholdLayers(Assert.defaults(), List.of(), Assert.none());
        }
    }

    /** A result without payloads. */
    public RunResult(String scenario, Instant started, Duration elapsed, Duration duration, String kernelRelease,
            String kernelImage, Topology topology, String backend, String scheduler, String schedExtState,
            Optional<String> schedulerExit, List<CgroupStats> cgroups, Verdict verdict, MonitorSummary monitor,
            List<String> schedulers, List<TimelineEvent> timeline, ThresholdLayers thresholds, List<Step> steps,
            HostFacts host, RunSeries series) {
        this(scenario, started, elapsed, duration, kernelRelease, kernelImage, topology, backend, scheduler, schedExtState,
                schedulerExit, cgroups, verdict, monitor, schedulers, timeline, thresholds, steps, host, series, null);
    }

    /** A result without the scenario's steps, host facts or series. */
    public RunResult(String scenario, Instant started, Duration elapsed, Duration duration, String kernelRelease,
            String kernelImage, Topology topology, String backend, String scheduler, String schedExtState,
            Optional<String> schedulerExit, List<CgroupStats> cgroups, Verdict verdict, MonitorSummary monitor,
            List<String> schedulers, List<TimelineEvent> timeline, ThresholdLayers thresholds) {
        this(scenario, started, elapsed, duration, kernelRelease, kernelImage, topology, backend, scheduler, schedExtState,
                schedulerExit, cgroups, verdict, monitor, schedulers, timeline, thresholds, null, null, null, null);
    }

    /** A result without a timeline (one scheduler, the default thresholds). */
    public RunResult(String scenario, Instant started, Duration elapsed, Duration duration, String kernelRelease,
            String kernelImage, Topology topology, String backend, String scheduler, String schedExtState,
            Optional<String> schedulerExit, List<CgroupStats> cgroups, Verdict verdict, MonitorSummary monitor) {
        this(scenario, started, elapsed, duration, kernelRelease, kernelImage, topology, backend, scheduler, schedExtState,
                schedulerExit, cgroups, verdict, monitor, null, null, null);
    }

    /** A result without monitor data. */
    public RunResult(String scenario, Instant started, Duration elapsed, Duration duration, String kernelRelease,
            String kernelImage, Topology topology, String backend, String scheduler, String schedExtState,
            Optional<String> schedulerExit, List<CgroupStats> cgroups, Verdict verdict) {
        this(scenario, started, elapsed, duration, kernelRelease, kernelImage, topology, backend, scheduler, schedExtState,
                schedulerExit, cgroups, verdict, null);
    }

    public Outcome outcome() {
        return verdict.outcome();
    }

    /** The cgroup's stats by name (of the run's cgroups, including removed ones). */
    public CgroupStats cgroup(String name) {
        return cgroups.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no cgroup '" + name + "' in this run; have "
                        + cgroups.stream().map(CgroupStats::name).toList()));
    }

    /** The payload by name ({@link Op#runPayload}). */
    public PayloadResult payload(String name) {
        return payloads.stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no payload '" + name + "' in this run; have "
                        + payloads.stream().map(PayloadResult::name).toList()));
    }

    /** The monitor's samples as series: per CPU {@code nr_running} and local DSQ depth, every DSQ's depth. */
    public MonitorSeries monitorSeries() {
        return series.monitor();
    }

    /** Each cgroup's work units over time (about once a second while holding). */
    public List<ProgressSeries> progress() {
        return series.progress();
    }

    /** Writes the result as JSON (jackson-core, streaming); returns {@code file}. */
    public Path write(Path file) {
        ResultJson.write(this, file);
        return file;
    }
}
