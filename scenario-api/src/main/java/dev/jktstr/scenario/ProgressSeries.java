package dev.jktstr.scenario;

import java.util.ArrayList;
import java.util.List;

/**
 * One cgroup's worker progress over a run: its workers' total work units each time the live telemetry read them
 * (about once a second while a step holds). Immutable.
 *
 * @param atMs milliseconds since the run started, one per reading
 * @param workUnits the cgroup's total work units so far at each reading (never decreasing)
 */
public record ProgressSeries(String cgroup, List<Long> atMs, List<Long> workUnits) {
    public ProgressSeries {
        atMs = List.copyOf(atMs);
        workUnits = List.copyOf(workUnits);
        if (atMs.size() != workUnits.size()) {
            throw new IllegalArgumentException("progress of " + cgroup + ": " + atMs.size() + " times, "
                    + workUnits.size() + " values");
        }
    }

    /** Work units per second between consecutive readings (one fewer than the readings; null over a zero interval). */
    public List<Double> perSecond() {
        List<Double> out = new ArrayList<>();
        for (int i = 1; i < atMs.size(); i++) {
            long dt = atMs.get(i) - atMs.get(i - 1);
            out.add(dt <= 0 ? null : (workUnits.get(i) - workUnits.get(i - 1)) * 1000.0 / dt);
        }
        return MonitorSeries.nullable(out);
    }
}
