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
 */
public record RunResult(String scenario, Instant started, Duration elapsed, Duration duration, String kernelRelease,
        String kernelImage, Topology topology, String backend, String scheduler, String schedExtState,
        Optional<String> schedulerExit, List<CgroupStats> cgroups, Verdict verdict, MonitorSummary monitor,
        List<String> schedulers, List<TimelineEvent> timeline, ThresholdLayers thresholds) {

    public RunResult {
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

    /** Writes the result as JSON (jackson-core, streaming); returns {@code file}. */
    public Path write(Path file) {
        ResultJson.write(this, file);
        return file;
    }
}
