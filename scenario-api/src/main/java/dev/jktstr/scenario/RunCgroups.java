package dev.jktstr.scenario;

import dev.jktstr.guest.WorkerGroup;
import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.guest.WorkerTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cgroups of one run and their workers: the live cgroups (in the order they were added), each worker group's
 * affinity and release time, and the {@link CgroupStats} of every cgroup whose workers have stopped. It spawns and
 * stops workers through the agent; the cgroupfs side is {@link OpInterpreter}'s.
 */
final class RunCgroups {
    /** How long stopped workers get to write their telemetry before they are killed. */
    static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final Ctx ctx;
    private final HostTimeline host;
    private final Map<String, LiveCgroup> live = new LinkedHashMap<>();
    private final Map<String, CgroupStats> finished = new LinkedHashMap<>();
    /** Worker group id -> its workers' affinity now (empty: unpinned). */
    private final Map<Integer, Optional<BitSet>> groupAffinity = new HashMap<>();
    /** Worker group id -> host nanoTime of its release. */
    private final Map<Integer, Long> groupStarted = new HashMap<>();

    RunCgroups(Ctx ctx, HostTimeline host) {
        this.ctx = ctx;
        this.host = host;
    }

    LiveCgroup get(String name) {
        LiveCgroup c = live.get(name);
        if (c == null) {
            throw new ScenarioException("no live cgroup '" + name + "'");
        }
        return c;
    }

    void put(LiveCgroup c) {
        live.put(c.def.name(), c);
    }

    /** Forgets a live cgroup; null when it was not live. */
    LiveCgroup remove(String name) {
        return live.remove(name);
    }

    Collection<LiveCgroup> live() {
        return live.values();
    }

    /** The live cgroups' names, last added first (children before their parents). */
    List<String> namesNewestFirst() {
        List<String> names = new ArrayList<>(live.keySet());
        Collections.reverse(names);
        return names;
    }

    /** The stats of every cgroup whose workers have stopped, in the order they first stopped. */
    Collection<CgroupStats> finished() {
        return finished.values();
    }

    /** Spawns workers into a live cgroup (two-phase: created and moved, then released) with its definition's settings. */
    void spawn(LiveCgroup c, int workers, WorkType w, List<BitSet> perWorker) {
        boolean uniform = perWorker.stream().distinct().count() <= 1;
        BitSet group = uniform ? (perWorker.isEmpty() ? new BitSet() : perWorker.getFirst())
                : AffinityIntent.union(perWorker);
        spawn(c, workers, w, group, uniform ? List.of() : perWorker);
    }

    /**
     * Spawns with {@code affinity} for the whole group, then (workers in place, not yet released) pins each worker to
     * its own mask of {@code perWorker} when there is one (random subsets, one CPU each).
     */
    private void spawn(LiveCgroup c, int workers, WorkType w, BitSet affinity, List<BitSet> perWorker) {
        if (w.needsDisk() && ctx.vm().scratchDiskMib() == 0) { // Vm.validate catches it before boot; this is the backstop
            throw new InvalidScenarioException("cgroup " + c.def.name() + ".work", w.name() + " does block I/O and this VM has"
                    + " no scratch disk (Vm.builder().scratchDisk(MiB))");
        }
        Optional<String> exec = Optional.empty();
        if (w.binary().isPresent()) { // Custom: the user's binary goes into the guest first
            GuestBinary.upload(ctx.agent(), w.binary().get(), w.guestBinaryPath(), ctx.agent().defaultTimeout());
            exec = Optional.of(w.guestBinaryPath());
        }
        WorkerRequest req = new WorkerRequest(c.path, workers, w.kind(), w.param1(), w.param2(), c.def.nice(),
                c.def.policy().filter(p -> !SchedAttr.needed(p)).map(SchedPolicy::number).orElse(-1), affinity,
                w.guestPhases(), c.def.memoryPolicy().map(MemoryPolicy::toRequest), exec);
        WorkerGroup g = ctx.agent().spawnWorkers(req);
        c.groups.add(g);
        groupAffinity.put(g.id(), affinity.isEmpty() ? Optional.empty() : Optional.of((BitSet) affinity.clone()));
        c.workTypes.add(w.kind().name());
        c.blocking |= w.blocksByDesign();
        for (int i = 0; i < perWorker.size() && i < g.pids().size(); i++) {
            if (!perWorker.get(i).isEmpty()) {
                ctx.shell().sh("taskset -p \"$1\" \"$2\" >/dev/null", OpInterpreter.hexMask(perWorker.get(i)),
                        String.valueOf(g.pids().get(i)));
            }
        }
        if (c.def.policy().isPresent() && SchedAttr.needed(c.def.policy().get())) {
            // in their cgroup, not yet released: a refused policy fails here, before any worker runs under another
            SchedAttr.apply(ctx.shell(), c.def.name(), c.def.policy().get(), g.pids());
        }
        long before = System.nanoTime();
        ctx.agent().startWorkers(g);
        // the workers' clocks start at the release, somewhere in the round trip
        groupStarted.put(g.id(), before + (System.nanoTime() - before) / 2);
    }

    /** The workers of every running group of {@code c} are pinned to {@code cpus} now. */
    void pinned(LiveCgroup c, BitSet cpus) {
        c.groups.forEach(g -> groupAffinity.put(g.id(), Optional.of((BitSet) cpus.clone())));
        if (c.affinityEver.isPresent()) {
            c.affinityEver.get().or(cpus);
        }
    }

    /** Stops a live cgroup's workers and keeps their telemetry (merged with that of earlier stops of the cgroup). */
    void stop(String name) {
        LiveCgroup c = get(name);
        if (c.groups.isEmpty()) {
            return;
        }
        List<WorkerTelemetry> t = new ArrayList<>();
        List<CgroupStats.GapHost> gaps = new ArrayList<>();
        for (WorkerGroup g : c.groups) {
            for (WorkerTelemetry w : ctx.agent().stopWorkers(g, STOP_GRACE)) {
                t.add(w);
                gaps.add(gapHost(g, w));
            }
        }
        c.groups.clear();
        CgroupStats stats = new CgroupStats(name, String.join("+", c.workTypes), c.blocking, allowedEver(c), t, gaps);
        finished.merge(name, stats, (old, neu) -> {
            List<WorkerTelemetry> all = new ArrayList<>(old.workers());
            all.addAll(neu.workers());
            List<CgroupStats.GapHost> allGaps = new ArrayList<>(old.gapHost());
            allGaps.addAll(neu.gapHost());
            return new CgroupStats(name, neu.workType(), neu.blocking(), neu.cpuset(), all, allGaps);
        });
    }

    /**
     * What the host did during a worker's longest gap: the gap ends {@code maxGapAt} after the worker's release
     * (guest and host monotonic clocks run at the same rate; the release is placed mid round trip), on the vCPU
     * the worker was on when it began.
     */
    private CgroupStats.GapHost gapHost(WorkerGroup g, WorkerTelemetry w) {
        Long start = groupStarted.get(g.id());
        if (start == null || w.maxGapNanos() <= 0) {
            return CgroupStats.GapHost.UNKNOWN;
        }
        long end = start + w.maxGapAtNanos();
        long begin = end - w.maxGapNanos();
        Optional<HostTimeline.Share> share = host.share(w.maxGapCpu(), begin, end);
        Optional<Long> starved = host.starvedNanos(w.maxGapCpu(), begin, end);
        if (share.isEmpty() || starved.isEmpty()) {
            return CgroupStats.GapHost.UNKNOWN;
        }
        return new CgroupStats.GapHost(starved.get(), share.get().describe());
    }

    /**
     * The CPUs a cgroup's workers may have been seen on: its own cpusets and affinities over the run, within every
     * restricted ancestor's (a sound bound: a CPU allowed at some moment is in each of those unions).
     */
    private Optional<BitSet> allowedEver(LiveCgroup c) {
        Optional<BitSet> allowed;
        if (c.affinityEver.isPresent()) {
            BitSet a = (BitSet) c.affinityEver.get().clone();
            if (!c.everUnrestricted) {
                a.and(c.allowedEver);
            }
            allowed = Optional.of(a);
        } else {
            allowed = c.everUnrestricted ? Optional.empty() : Optional.of((BitSet) c.allowedEver.clone());
        }
        for (Optional<String> p = c.def.parentName(); p.isPresent(); p = get(p.get()).def.parentName()) {
            LiveCgroup parent = get(p.get());
            if (!parent.everUnrestricted) {
                BitSet b = allowed.map(x -> (BitSet) x.clone()).orElse((BitSet) parent.allowedEver.clone());
                b.and(parent.allowedEver);
                allowed = Optional.of(b);
            }
        }
        return allowed;
    }

    /**
     * The CPUs a group's workers may use now: the cgroup's cpuset, within each ancestor's, and the workers'
     * affinity; empty when nothing restricts them.
     */
    Optional<BitSet> allowedNow(LiveCgroup c, int groupId) {
        BitSet a = c.cpuset.map(b -> (BitSet) b.clone()).orElse(null);
        Optional<BitSet> affinity = groupAffinity.getOrDefault(groupId, Optional.empty());
        if (affinity.isPresent()) {
            a = intersect(a, affinity.get());
        }
        for (Optional<String> p = c.def.parentName(); p.isPresent(); p = get(p.get()).def.parentName()) {
            LiveCgroup parent = get(p.get());
            if (parent.cpuset.isPresent()) {
                a = intersect(a, parent.cpuset.get());
            }
        }
        return Optional.ofNullable(a);
    }

    private static BitSet intersect(BitSet a, BitSet b) {
        BitSet r = (BitSet) b.clone();
        if (a != null) {
            r.and(a);
        }
        return r;
    }
}
