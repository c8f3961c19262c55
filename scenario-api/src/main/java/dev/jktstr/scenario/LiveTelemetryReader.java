package dev.jktstr.scenario;

import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.WorkerGroup;
import dev.jktstr.guest.WorkerProgress;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.Snapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link LiveTelemetry} of one run: the running workers' progress read from the agent (one request for every
 * group, about once a second) and the monitor's latest sample. Live numbers are a display: a failing read is noted
 * once and ends reading for the run, it never fails it.
 */
final class LiveTelemetryReader {
    /** How often a hold reads the workers' progress from the agent. */
    static final Duration PEEK_INTERVAL = Duration.ofSeconds(1);
    /** Worker groups per {@code WORKERS_PEEK} request. */
    private static final int GROUPS_PER_REQUEST = 64;

    private final Ctx ctx;
    private final RunCgroups cgroups;
    private final RunMonitor monitor;
    private final RunRecord record;
    private LiveTelemetry current = LiveTelemetry.NONE;
    private long lastPeekNanos;
    private long lastPeekUnits = -1; // -1: no peek yet
    private double worstGapMs = Double.NaN;
    private boolean peekFailed;

    LiveTelemetryReader(Ctx ctx, RunCgroups cgroups, RunMonitor monitor, RunRecord record) {
        this.ctx = ctx;
        this.cgroups = cgroups;
        this.monitor = monitor;
        this.record = record;
    }

    /** The latest reading ({@link LiveTelemetry#NONE} before the first), read anew when {@link #PEEK_INTERVAL} has passed. */
    LiveTelemetry now() {
        if (System.nanoTime() - lastPeekNanos >= PEEK_INTERVAL.toNanos()) {
            peek();
        }
        return current;
    }

    private void peek() {
        long now = System.nanoTime();
        long units = cgroups.finished().stream().mapToLong(c -> (long) c.totalWorkUnits()).sum();
        int workers = 0;
        List<WorkerGroup> groups = new ArrayList<>();
        Set<Integer> nonBlocking = new HashSet<>();
        Map<Integer, String> cgroupOf = new HashMap<>(); // worker group id -> its cgroup, for the progress series
        Map<String, Long> unitsByCgroup = new LinkedHashMap<>();
        for (CgroupStats c : cgroups.finished()) {
            unitsByCgroup.merge(c.name(), (long) c.totalWorkUnits(), Long::sum);
        }
        for (LiveCgroup c : cgroups.live()) {
            for (WorkerGroup g : c.groups) {
                cgroupOf.put(g.id(), c.def.name());
                groups.add(g);
                if (!c.blocking) {
                    nonBlocking.add(g.id());
                }
            }
        }
        for (CgroupStats c : cgroups.finished()) {
            if (!c.blocking() && !c.workers().isEmpty()) {
                worstGapMs = maxNaN(worstGapMs, c.maxGapMs());
            }
        }
        if (!peekFailed && !groups.isEmpty() && monitor.holding()) {
            try {
                for (int from = 0; from < groups.size(); from += GROUPS_PER_REQUEST) {
                    var progress = ctx.agent().peekWorkers(groups.subList(from, Math.min(groups.size(), from + GROUPS_PER_REQUEST)));
                    for (var e : progress.entrySet()) {
                        for (WorkerProgress w : e.getValue()) {
                            units += w.workUnits();
                            unitsByCgroup.merge(cgroupOf.getOrDefault(e.getKey(), "?"), w.workUnits(), Long::sum);
                            workers += w.running() ? 1 : 0;
                            if (nonBlocking.contains(e.getKey()) && w.iterations() > 0) {
                                worstGapMs = maxNaN(worstGapMs, w.worstGapNanos() / 1e6);
                            }
                        }
                    }
                }
                unitsByCgroup.forEach(record::progress);
            } catch (GuestException e) {
                peekFailed = true;
                record.note("live telemetry: reading worker progress failed: " + e.getMessage());
            }
        }
        // the total never goes down: a group stopped between peeks moves its units into the finished stats
        units = Math.max(units, current.workUnits());
        double rate = Double.NaN;
        if (lastPeekUnits >= 0 && now > lastPeekNanos) {
            rate = (units - lastPeekUnits) / ((now - lastPeekNanos) / 1e9);
        }
        lastPeekUnits = units;
        lastPeekNanos = now;
        double imbalance = Double.NaN, local = Double.NaN, global = Double.NaN, user = Double.NaN;
        Snapshot s = monitor.latestSample();
        if (s != null) {
            long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
            for (RunqueueState r : s.runqueues()) {
                if (r.nrRunning() != null) {
                    lo = Math.min(lo, r.nrRunning());
                    hi = Math.max(hi, r.nrRunning());
                }
                if (r.localDsqDepth() != null) {
                    local = maxNaN(local, r.localDsqDepth());
                }
            }
            imbalance = lo <= hi ? hi - lo : Double.NaN;
            for (var d : s.dsqs()) {
                switch (d.kind()) {
                    case "global" -> global = maxNaN(global, d.depth());
                    case "user" -> user = maxNaN(user, d.depth());
                    default -> { }
                }
            }
        }
        current = new LiveTelemetry(workers, units, rate, worstGapMs, imbalance, local, global, user);
    }

    private static double maxNaN(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
    }
}
