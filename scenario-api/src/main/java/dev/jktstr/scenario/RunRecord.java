package dev.jktstr.scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run records as it goes, for its result: the step being applied or held, the timeline, every scheduler in
 * charge (in order) and the scheduler each hold ran under, the notes for the verdict and the ops that failed without
 * ending the run. Written by the run's thread
 * only ({@link ScenarioRunner} and the {@link OpInterpreter} it drives).
 */
final class RunRecord {
    private final Ctx ctx;
    /** Host {@code System.nanoTime()} when the run's clock started. */
    final long t0;
    final List<String> notes = new ArrayList<>();
    /** Ops that failed without ending the run (a payload that could not start, a wait that timed out), in order. */
    final List<String> opFailures = new ArrayList<>();
    final List<TimelineEvent> timeline = new ArrayList<>();
    final List<String> schedulersRan = new ArrayList<>();
    /** Per step: "step N scheduler (ops)", the scheduler its hold ran under. */
    final List<String> heldUnder = new ArrayList<>();
    /** Per cgroup: [ms since t0, total work units] per live-telemetry reading, bounded by {@link #MAX_PROGRESS}. */
    private final Map<String, List<long[]>> progress = new LinkedHashMap<>();
    /** Readings kept per cgroup (over four hours at one a second). */
    private static final int MAX_PROGRESS = 16_384;
    /** 1-based, the step being applied or held. */
    int step;
    /** The sched_ext ops name of the scheduler in charge, "" under EEVDF. */
    String opsName = "";

    RunRecord(Ctx ctx, long t0) {
        this.ctx = ctx;
        this.t0 = t0;
    }

    Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** A timeline event now, under the scheduler in charge now. */
    void event(String kind, String detail) {
        timeline.add(new TimelineEvent(elapsed(), step, kind, ctx.currentScheduler().name(), opsName, detail));
    }

    /** A timeline event now, under {@code scheduler} (one that is no longer in charge, or not yet). */
    void event(String kind, String scheduler, String opsName, String detail) {
        timeline.add(new TimelineEvent(elapsed(), step, kind, scheduler, opsName, detail));
    }

    /** {@code scheduler} is in charge from now on: recorded unless it already was. */
    void ran(String scheduler) {
        if (!schedulersRan.getLast().equals(scheduler)) {
            schedulersRan.add(scheduler);
        }
    }

    /** A reading of {@code cgroup}'s total work units, now. */
    void progress(String cgroup, long workUnits) {
        List<long[]> l = progress.computeIfAbsent(cgroup, k -> new ArrayList<>());
        if (l.size() < MAX_PROGRESS) {
            l.add(new long[] {elapsed().toMillis(), workUnits});
        }
    }

    /** The readings as series, one per cgroup that had any. */
    List<ProgressSeries> progressSeries() {
        List<ProgressSeries> out = new ArrayList<>();
        progress.forEach((name, l) -> out.add(new ProgressSeries(name, l.stream().map(r -> r[0]).toList(),
                l.stream().map(r -> r[1]).toList())));
        return out;
    }

    void note(String note) {
        notes.add(note);
    }

    /** An op failed, the run goes on: the verdict fails with it ({@link #judgeOpFailures}). */
    void opFailed(String what) {
        opFailures.add(what);
    }

    /** Fails {@code verdict} with the first op failure (the count of the others in the reason); each is also a note. */
    void judgeOpFailures(Verdict verdict) {
        if (opFailures.isEmpty()) {
            return;
        }
        opFailures.forEach(f -> verdict.note("op failed: " + f));
        verdict.fail("op failed: " + opFailures.getFirst()
                + (opFailures.size() > 1 ? " (and " + (opFailures.size() - 1) + " more, see the notes)" : ""));
    }
}
