package dev.jktstr.scenario;

import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.WorkerGroup;
import dev.jktstr.guest.WorkerProgress;
import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.Sampler;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import dev.jktstr.machine.Topology;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;


/**
 * Runs scenarios ({@link #execute}, {@link #executeSteps}, {@link #run}) and holds the canned ones. Every scenario
 * is validated against the topology before the first op reaches the guest ({@link #validate}).
 */
public final class Scenarios {
    /** How long stopped workers get to write their telemetry before they are killed. */
    static final Duration STOP_GRACE = Duration.ofSeconds(5);
    /** How often holds report progress. */
    private static final Duration TICK = Duration.ofMillis(250);
    /** How often the monitor snapshots the guest kernel while holding (each pause costs well under a millisecond). */
    static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);
    /** Bound on the samples one run keeps (over an hour at the interval above). */
    private static final int MAX_SAMPLES = 16_384;
    /** What the monitor samples: runqueues, sched_ext state and the DSQs (local, global, user), no maps or tasks. */
    static final SnapshotOptions SAMPLE_OPTIONS = new SnapshotOptions(true, false, false, false, false);
    /** Bound on the snapshots {@link Op#snapshot()} keeps per run. */
    private static final int MAX_SNAPSHOTS = 100;

    private Scenarios() {
    }

    // ---------------------------------------------------------------- canned scenarios

    /** Two cgroups of spinners that together fill the machine, no cpusets. */
    public static Scenario steady() {
        return Scenario.of("steady", t -> List.of(
                CgroupDef.named("cg_0").workers(Math.max(1, t.cpuCount() / 2)),
                CgroupDef.named("cg_1").workers(Math.max(1, t.cpuCount() - t.cpuCount() / 2))));
    }

    /** One cgroup per LLC, confined to it by a cpuset, one spinner per CPU. */
    public static Scenario steadyPerLlc() {
        return Scenario.of("steady-per-llc", t -> {
            List<CgroupDef> defs = new ArrayList<>();
            for (int l = 0; l < t.llcCount(); l++) {
                defs.add(CgroupDef.named("llc_" + l).workers(t.cpusPerLlc()).cpuset(CpusetSpec.llc(l)));
            }
            return defs;
        });
    }

    /** Two cgroups with twice as many spinners as CPUs in total. */
    public static Scenario oversubscribed() {
        return Scenario.of("oversubscribed", t -> List.of(
                CgroupDef.named("cg_0").workers(t.cpuCount()),
                CgroupDef.named("cg_1").workers(t.cpuCount())));
    }

    /** Spinners pinned (affinity) to CPU 0, two per the CPU. */
    public static Scenario pinned() {
        return Scenario.of("pinned", t -> List.of(CgroupDef.named("pinned").workers(2).affinity(CpusetSpec.cpus(0))));
    }

    /** Spinners, a pipe ping-pong and a timer sleeper side by side. */
    public static Scenario mixedWorkloads() {
        return Scenario.of("mixed", t -> List.of(
                CgroupDef.named("spin").workers(Math.max(1, t.cpuCount() / 2)),
                CgroupDef.named("pipe").workers(2).work(WorkType.pipeIo()),
                CgroupDef.named("timer").workers(1).work(WorkType.timerLatency()),
                CgroupDef.named("phases").workers(1).work(WorkType.sequence(
                        WorkType.phase(WorkType.spinWait(), Duration.ofMillis(100)),
                        WorkType.phase(WorkType.bursty(), Duration.ofMillis(100))))));
    }

    /** Spinners run unconfined for half the run, then a cpuset confines each cgroup to its half of the CPUs. */
    public static Scenario cpusetApply() {
        return new Scenario("cpuset-apply", t -> List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount())),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.5), Op.setCpuset("cg_0", CpusetSpec.slice(0, halves(t))),
                        Op.setCpuset("cg_1", CpusetSpec.slice(halves(t) - 1, halves(t))))));
    }

    /** Cpusets on for half the run, then cleared. */
    public static Scenario cpusetClear() {
        return new Scenario("cpuset-clear", t -> List.of(
                Step.of(HoldSpec.fraction(0.5),
                        Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()).cpuset(CpusetSpec.slice(0, halves(t)))),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()).cpuset(CpusetSpec.slice(halves(t) - 1, halves(t))))),
                Step.of(HoldSpec.fraction(0.5), Op.clearCpuset("cg_0"), Op.clearCpuset("cg_1"))));
    }

    /** A cgroup confined to CPU 0, then grown to all CPUs, then swapped with its neighbour's. */
    public static Scenario cpusetResize() {
        return new Scenario("cpuset-resize", t -> List.of(
                Step.of(HoldSpec.fraction(0.34), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()).cpuset(CpusetSpec.cpus(0))),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(1).cpuset(CpusetSpec.slice(halves(t) - 1, halves(t))))),
                Step.of(HoldSpec.fraction(0.33), Op.setCpuset("cg_0", CpusetSpec.slice(0, 1))),
                Step.of(HoldSpec.fraction(0.33), Op.swapCpusets("cg_0", "cg_1"))));
    }

    /** A second cgroup comes and goes while the first runs. */
    public static Scenario cgroupAddRemove() {
        return new Scenario("cgroup-add-remove", t -> List.of(
                Step.of(HoldSpec.fraction(0.3), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.4), Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.3), Op.removeCgroup("cg_1"))));
    }

    /** Two cgroups whose cpusets swap every 500 ms for the second half of the run. */
    public static Scenario cpusetFlip() {
        return new Scenario("cpuset-flip", t -> List.of(
                Step.of(HoldSpec.fraction(0.5),
                        Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()).cpuset(CpusetSpec.slice(0, halves(t)))),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()).cpuset(CpusetSpec.slice(halves(t) - 1, halves(t))))),
                Step.of(HoldSpec.loop(0.5, Duration.ofMillis(500)), Op.swapCpusets("cg_0", "cg_1"))));
    }

    /** Spinners unpinned for half the run, then pinned to the first half of the CPUs. */
    public static Scenario affinityChange() {
        return new Scenario("affinity-change", t -> List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.5), Op.setAffinity("cg_0", CpusetSpec.slice(0, halves(t))))));
    }

    /**
     * Steady, one level down: two parent cgroups, each confined by its cpuset to half of the CPUs (all of them on one
     * CPU), each with two leaf cgroups of spinners (at least one each, about one per CPU of the half in total). The
     * leaves inherit the parent's cpuset, so the isolation check holds them to it; the other checks are steady's.
     */
    public static Scenario nestedSteady() {
        return Scenario.of("nested-steady", t -> {
            List<CgroupDef> defs = new ArrayList<>();
            int parts = halves(t);
            for (int p = 0; p < parts; p++) {
                int cpus = CpusetSpec.slice(p, parts).resolve(t, "cpuset").cardinality();
                String parent = "nest_" + p;
                defs.add(CgroupDef.parent(parent).cpuset(CpusetSpec.slice(p, parts)));
                defs.add(CgroupDef.named(parent + "/leaf_0").workers(Math.max(1, cpus / 2)));
                defs.add(CgroupDef.named(parent + "/leaf_1").workers(Math.max(1, cpus - cpus / 2)));
            }
            return defs;
        });
    }

    private static int halves(Topology t) {
        return t.cpuCount() >= 2 ? 2 : 1;
    }

    /** The canned scenarios by name. */
    public static Map<String, Scenario> canned() {
        Map<String, Scenario> m = new TreeMap<>();
        for (Scenario s : List.of(steady(), steadyPerLlc(), oversubscribed(), pinned(), mixedWorkloads(), cpusetApply(),
                cpusetClear(), cpusetResize(), cgroupAddRemove(), affinityChange(), cpusetFlip(), nestedSteady())) {
            m.put(s.name(), s);
        }
        return m;
    }

    public static Scenario byName(String name) {
        Scenario s = canned().get(name);
        if (s == null) {
            throw new InvalidScenarioException("scenario", "no scenario named '" + name + "'; known: " + canned().keySet());
        }
        return s;
    }

    // ---------------------------------------------------------------- validation

    static Step addAllAndHold(List<CgroupDef> defs) {
        return new Step(defs.stream().map(Op::addCgroup).toList(), HoldSpec.fraction(1.0));
    }

    /**
     * Rejects what cannot run, naming the field: unknown cgroups in ops, cpusets outside the topology, bad worker
     * counts, negative holds, duplicate names. Nothing is booted or sent.
     */
    public static void validate(Topology topology, List<Step> steps) {
        validateSteps(java.util.Objects.requireNonNull(topology, "topology"), steps);
    }

    /**
     * Everything {@link #validate(Topology, List)} checks that needs no topology: each op against the cgroups that
     * exist at that point of the scenario (a cgroup removed, frozen or moved from before it was added or after it was
     * removed), parents and children, names, counts, holds, scheduler binaries. {@link Scenario#of(String, List)}
     * runs it when a scenario is built; cpusets and NUMA nodes are checked against the topology before the boot.
     */
    public static void validate(List<Step> steps) {
        validateSteps(null, steps);
    }

    private static void validateSteps(Topology topology, List<Step> steps) {
        if (steps.isEmpty()) {
            throw new InvalidScenarioException("steps", "a scenario needs at least one step");
        }
        Set<String> live = new HashSet<>();
        Set<String> everCreated = new HashSet<>();
        Map<String, String> parentsWithoutChildren = new LinkedHashMap<>(); // name -> field of its add
        Set<String> withWorkers = new HashSet<>();
        Map<String, java.nio.file.Path> schedulerFiles = new HashMap<>();
        int totalWorkers = 0;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            String at = "steps[" + i + "].";
            s.hold().validate(at + "hold");
            if (s.hold() instanceof HoldSpec.Loop) {
                for (int j = 0; j < s.ops().size(); j++) {
                    Op op = s.ops().get(j);
                    if (op instanceof Op.AddCgroup || op instanceof Op.RemoveCgroup || op instanceof Op.KillScheduler
                            || op instanceof Op.Spawn || op instanceof Op.ReplaceScheduler
                            || op instanceof Op.DetachScheduler || op instanceof Op.AttachScheduler) {
                        throw new InvalidScenarioException(at + "ops[" + j + "]", op.getClass().getSimpleName()
                                + " cannot repeat in a loop hold (only ops that can be applied again and again)");
                    }
                }
            }
            for (int j = 0; j < s.ops().size(); j++) {
                Op op = s.ops().get(j);
                String f = at + "ops[" + j + "].";
                switch (op) {
                    case Op.AddCgroup a -> {
                        CgroupDef d = a.def();
                        d.validate(topology, f);
                        if (!everCreated.add(d.name())) {
                            throw new InvalidScenarioException(f + "cgroup.name", "cgroup '" + d.name() + "' is added twice");
                        }
                        if (d.parentName().isPresent()) {
                            String parent = d.parentName().get();
                            if (!live.contains(parent)) {
                                throw new InvalidScenarioException(f + "cgroup.name", "parent cgroup '" + parent + "' of '"
                                        + d.name() + "' is not live at this point (add CgroupDef.parent(\"" + parent + "\") first)");
                            }
                            if (withWorkers.contains(parent)) {
                                throw new InvalidScenarioException(f + "cgroup.name", "cgroup '" + parent + "' has workers, so it"
                                        + " cannot have a child '" + d.name() + "' (cgroup v2 keeps processes in leaves only;"
                                        + " use CgroupDef.parent(\"" + parent + "\"))");
                            }
                            parentsWithoutChildren.remove(parent);
                        }
                        if (d.workers() == 0) {
                            parentsWithoutChildren.put(d.name(), f + "cgroup " + d.name() + ".workers");
                            if (d.memoryPolicy().isPresent()) {
                                throw new InvalidScenarioException(f + "cgroup " + d.name() + ".memoryPolicy",
                                        "a parent cgroup has no workers to apply a memory policy to; set it on the leaves");
                            }
                        } else {
                            withWorkers.add(d.name());
                        }
                        live.add(d.name());
                        totalWorkers += d.workers();
                    }
                    case Op.RemoveCgroup r -> {
                        known(live, r.name(), f + "name");
                        for (String other : live) {
                            if (other.startsWith(r.name() + "/")) {
                                throw new InvalidScenarioException(f + "name", "cgroup '" + r.name() + "' still has the child '"
                                        + other + "'; remove the children first");
                            }
                        }
                        live.remove(r.name());
                    }
                    case Op.StopCgroup st -> known(live, st.name(), f + "name");
                    case Op.SetCpuset sc -> {
                        known(live, sc.name(), f + "name");
                        if (sc.cpus() == null) {
                            throw new InvalidScenarioException(f + "cpus", "missing");
                        }
                        if (topology != null) {
                            sc.cpus().resolve(topology, f + "cpus");
                        }
                    }
                    case Op.ClearCpuset cc -> known(live, cc.name(), f + "name");
                    case Op.SwapCpusets sw -> {
                        known(live, sw.a(), f + "a");
                        known(live, sw.b(), f + "b");
                    }
                    case Op.Freeze fr -> known(live, fr.name(), f + "name");
                    case Op.MoveTasks mv -> {
                        known(live, mv.from(), f + "from");
                        known(live, mv.to(), f + "to");
                        if (live.stream().anyMatch(n -> n.startsWith(mv.to() + "/"))) {
                            throw new InvalidScenarioException(f + "to", "cgroup '" + mv.to() + "' is a parent of nested"
                                    + " cgroups: tasks go into its leaves");
                        }
                        if (mv.count() < 1) {
                            throw new InvalidScenarioException(f + "count", "must be at least 1, got " + mv.count());
                        }
                    }
                    case Op.SetAffinity sa -> {
                        known(live, sa.name(), f + "name");
                        if (sa.cpus() == null) {
                            throw new InvalidScenarioException(f + "cpus", "missing");
                        }
                        if (topology != null) {
                            sa.cpus().resolve(topology, f + "cpus");
                        }
                    }
                    case Op.Spawn sp -> {
                        known(live, sp.cgroup(), f + "cgroup");
                        if (!withWorkers.contains(sp.cgroup())) {
                            throw new InvalidScenarioException(f + "cgroup", "cgroup '" + sp.cgroup() + "' is a parent of"
                                    + " nested cgroups: workers go into its leaves");
                        }
                        if (sp.workers() < 1 || sp.workers() > CgroupDef.MAX_WORKERS) {
                            throw new InvalidScenarioException(f + "workers", "must be within 1.." + CgroupDef.MAX_WORKERS
                                    + ", got " + sp.workers());
                        }
                        if (sp.work() == null) {
                            throw new InvalidScenarioException(f + "work", "missing");
                        }
                        totalWorkers += sp.workers();
                    }
                    case Op.DetachScheduler d -> { }
                    case Op.ReplaceScheduler rs -> {
                        if (rs.next() == null) {
                            throw new InvalidScenarioException(f + "scheduler", "missing (use detachScheduler() to fall back to EEVDF)");
                        }
                        rs.next().validate(f + "scheduler");
                        java.nio.file.Path file = rs.next().path().toAbsolutePath().normalize();
                        java.nio.file.Path before = schedulerFiles.putIfAbsent(rs.next().name(), file);
                        if (before != null && !before.equals(file)) {
                            throw new InvalidScenarioException(f + "scheduler", "two different binaries are named "
                                    + rs.next().name() + " (" + before + ", " + file + "); the guest finds schedulers by name");
                        }
                    }
                    case Op.AttachScheduler a -> { }
                    case Op.TakeSnapshot t -> { }
                    case Op.ReadKernelValue r -> kernelPath(r.path(), f + "path");
                    case Op.KillScheduler k -> {
                        if (k.signal() < 1 || k.signal() > 64) {
                            throw new InvalidScenarioException(f + "signal", "must be within 1..64, got " + k.signal());
                        }
                    }
                    case Op.WriteKernelValue w -> {
                        kernelPath(w.path(), f + "path");
                        if (w.value() == null) {
                            throw new InvalidScenarioException(f + "value", "missing");
                        }
                    }
                }
            }
        }
        if (!parentsWithoutChildren.isEmpty()) {
            Map.Entry<String, String> e = parentsWithoutChildren.entrySet().iterator().next();
            throw new InvalidScenarioException(e.getValue(), "cgroup '" + e.getKey() + "' has no workers and no nested cgroup"
                    + " ('" + e.getKey() + "/...'); must be within 1.." + CgroupDef.MAX_WORKERS + " unless it is a parent");
        }
        if (totalWorkers > 4096) {
            throw new InvalidScenarioException("workers", totalWorkers + " workers in total; at most 4096");
        }
    }

    private static void kernelPath(String path, String field) {
        if (path == null || !(path.startsWith("/proc/") || path.startsWith("/sys/")) || path.contains("..")) {
            throw new InvalidScenarioException(field, "must be a file under /proc or /sys: " + path);
        }
    }

    private static void known(Set<String> live, String name, String field) {
        if (name == null || !live.contains(name)) {
            throw new InvalidScenarioException(field, "unknown cgroup '" + name + "' (cgroups at this point: " + live + ")");
        }
    }

    // ---------------------------------------------------------------- execution

    /** Adds {@code defs}, holds for the context's duration, and checks the run with the context's thresholds. */
    public static RunResult execute(Ctx ctx, List<CgroupDef> defs) {
        return executeSteps(ctx, "custom", List.of(addAllAndHold(defs)));
    }

    public static RunResult executeSteps(Ctx ctx, List<Step> steps) {
        return executeSteps(ctx, "custom", steps);
    }

    public static RunResult run(Ctx ctx, Scenario scenario) {
        return executeSteps(ctx, scenario.name(), scenario.steps().apply(ctx.topology()));
    }

    public static RunResult executeSteps(Ctx ctx, String name, List<Step> steps) {
        validate(ctx.topology(), steps);
        RunResult r = new Execution(ctx, steps).run(name);
        ctx.reportResult(r);
        return r;
    }

    /** One run: live cgroups, their worker groups, and the telemetry of those already stopped. */
    private static final class Execution {
        /** How often a hold reads the workers' progress from the agent for the live telemetry. */
        private static final Duration PEEK_INTERVAL = Duration.ofSeconds(1);

        private final Ctx ctx;
        private final List<Step> steps;
        private final Map<String, LiveCgroup> live = new LinkedHashMap<>();
        private final Map<String, CgroupStats> finished = new LinkedHashMap<>();
        private final BitSet allCpus = new BitSet();
        private final List<String> notes = new ArrayList<>();
        private final List<Snapshot> samples = new ArrayList<>(); // guarded by itself; filled by the sampler thread
        private final List<Snapshot> snapshots = new ArrayList<>();
        private final List<TimelineEvent> timeline = new ArrayList<>();
        private final List<String> schedulersRan = new ArrayList<>();
        private final List<String> heldUnder = new ArrayList<>(); // per step: the scheduler its hold ran under
        private volatile boolean holding;
        private volatile Snapshot latestSample;
        private HostTimeline hostTimeline; // what the host gave each vCPU over the run
        private final Map<Integer, Long> groupStarted = new HashMap<>(); // worker group id -> host nanoTime of its release
        // isolation per step: what each cgroup's workers used during each step's holds, against what was allowed then
        private final Map<Integer, Optional<BitSet>> groupAffinity = new HashMap<>(); // group id -> its workers' affinity now
        private final Map<String, StepCpus> stepCpus = new LinkedHashMap<>(); // "step/cgroup"
        private String cpusUnavailable; // why WORKERS_CPUS stopped working, once it did
        private boolean cpusCleared; // the take at the start of the current hold went through
        private long t0;
        private int step; // 1-based, the step being applied or held
        private String opsName = "";
        // live telemetry
        private LiveTelemetry liveTelemetry = LiveTelemetry.NONE;
        private long lastPeekNanos;
        private long lastPeekUnits = -1; // -1: no peek yet
        private double worstGapMs = Double.NaN;
        private boolean peekFailed;

        /** What one cgroup's workers used during one step's holds (see {@link StepIsolation}). */
        private static final class StepCpus {
            final int step;
            final String cgroup;
            final java.util.LinkedHashSet<String> allowed = new java.util.LinkedHashSet<>(); // ALL when unrestricted
            final Map<Integer, BitSet> used = new LinkedHashMap<>();
            final Map<Integer, BitSet> outside = new LinkedHashMap<>();
            String missing; // why some hold's CPUs are not known

            StepCpus(int step, String cgroup) {
                this.step = step;
                this.cgroup = cgroup;
            }

            boolean everRestricted() {
                return allowed.stream().anyMatch(a -> !a.equals(ALL));
            }

            StepIsolation subject() {
                Map<Integer, List<Integer>> u = new LinkedHashMap<>();
                used.forEach((pid, b) -> u.put(pid, b.stream().boxed().toList()));
                Map<Integer, List<Integer>> o = new LinkedHashMap<>();
                outside.forEach((pid, b) -> o.put(pid, b.stream().boxed().toList()));
                return new StepIsolation(step, cgroup, allowed.stream().filter(a -> !a.equals(ALL)).toList(), u, o);
            }
        }

        /** How {@link StepCpus#allowed} says "every CPU". */
        private static final String ALL = "all";

        private static final class LiveCgroup {
            final CgroupDef def;
            final String path;
            final List<WorkerGroup> groups = new ArrayList<>(); // running worker groups (add, then spawns)
            boolean blocking;
            final java.util.LinkedHashSet<String> workTypes = new java.util.LinkedHashSet<>();
            Optional<BitSet> cpuset; // the cpuset now; empty = unrestricted
            BitSet allowedEver = new BitSet(); // union of every cpuset it had: a worker may be seen on any of them
            boolean everUnrestricted;
            Optional<BitSet> affinityEver = Optional.empty(); // union of affinities; empty = it ran unpinned at some point
            boolean controllersEnabled; // its subtree_control has +cpuset +cpu (it is a parent)

            List<Integer> pids() {
                return groups.stream().flatMap(g -> g.pids().stream()).toList();
            }

            LiveCgroup(CgroupDef def) {
                this.def = def;
                this.path = Ctx.CGROUP_ROOT + "/" + def.name();
            }
        }

        Execution(Ctx ctx, List<Step> steps) {
            this.ctx = ctx;
            this.steps = steps;
            allCpus.set(0, ctx.topology().cpuCount());
        }

        RunResult run(String name) {
            // Replacement schedulers go into the guest before the clock starts: the swap itself is stop and start.
            for (Step s : steps) {
                for (Op op : s.ops()) {
                    if (op instanceof Op.ReplaceScheduler rs) {
                        ctx.installScheduler(rs.next());
                    }
                }
            }
            Instant started = Instant.now();
            t0 = System.nanoTime();
            hostTimeline = HostTimeline.start(ctx.machine(), ctx.topology().cpuCount());
            String startScheduler = ctx.currentScheduler().name();
            opsName = ctx.currentScheduler() instanceof Scheduler.Binary ? ctx.opsName() : "";
            schedulersRan.add(startScheduler);
            Duration total = steps.stream().map(s -> s.hold().of(ctx.duration())).reduce(Duration.ZERO, Duration::plus);
            Verdict verdict;
            Sampler sampler = startSampler();
            try {
                for (int i = 0; i < steps.size(); i++) {
                    Step s = steps.get(i);
                    step = i + 1;
                    event(TimelineEvent.STEP, "");
                    for (Op op : s.ops()) {
                        apply(op);
                    }
                    heldUnder.add("step " + step + " " + ctx.currentScheduler().name() + (opsName.isEmpty() ? "" : " (" + opsName + ")"));
                    if (s.hold() instanceof HoldSpec.Loop loop) {
                        long end = System.nanoTime() + loop.of(ctx.duration()).toNanos();
                        for (;;) {
                            long left = end - System.nanoTime();
                            hold(i, Duration.ofNanos(Math.max(0, Math.min(left, loop.interval().toNanos()))), total);
                            if (end - System.nanoTime() <= 0) {
                                break;
                            }
                            s.ops().forEach(this::apply);
                        }
                    } else {
                        hold(i, s.hold().of(ctx.duration()), total);
                    }
                }
            } finally {
                holding = false;
                if (sampler != null) {
                    sampler.close();
                }
                // children before parents: a cgroup with children cannot be removed
                List<String> names = new ArrayList<>(live.keySet());
                java.util.Collections.reverse(names);
                for (String n : names) {
                    try {
                        stop(n);
                        removeCgroup(n);
                    } catch (RuntimeException e) {
                        // keep the first failure; cleanup is best effort
                    }
                }
                hostTimeline.close();
            }
            List<CgroupStats> stats = List.copyOf(finished.values());
            ThresholdLayers layers = ctx.thresholdLayers(schedulersRan);
            Assert thresholds = layers.effective();
            verdict = thresholds.check(stats);
            judgeIsolationPerStep(verdict, thresholds, stats);
            MonitorSummary monitor = summarize(sampler);
            thresholds.check(verdict, monitor);
            notes.forEach(verdict::note);
            if (schedulersRan.size() > 1) {
                verdict.note("schedulers by step: " + String.join(", ", heldUnder));
            }
            verdict.note(monitor.describe());
            verdict.note(hostNote());
            String state = ctx.schedExtState();
            Optional<String> exit = Optional.empty();
            if (ctx.currentScheduler() instanceof Scheduler.Binary b) {
                if (!state.equals("enabled")) {
                    exit = ctx.schedulerExitReason();
                    String log = ctx.schedulerLog().strip(); // guest text: Verdict cleans what it is given
                    verdict.fail("scheduler " + b.name() + " is no longer attached (sched_ext state '" + state + "')"
                            + exit.map(r -> ": " + r).orElse("") + (log.isEmpty() ? "" : "; its output: "
                            + (log.length() > 500 ? "…" + log.substring(log.length() - 500) : log)));
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            return new RunResult(name, started, elapsed, total, ctx.kernelRelease(), ctx.kernel().image().toString(),
                    ctx.topology(), ctx.machine().backendName(), startScheduler, state, exit, stats, verdict, monitor,
                    schedulersRan, timeline, layers);
        }

        private void event(String kind, String detail) {
            timeline.add(new TimelineEvent(Duration.ofNanos(System.nanoTime() - t0), step, kind, ctx.currentScheduler().name(),
                    opsName, detail));
        }

        /** Starts sampling the guest kernel (kept only while holding), or null without introspection. */
        private Sampler startSampler() {
            if (!ctx.monitoring()) {
                return null;
            }
            Optional<Introspector> in = ctx.introspector();
            if (in.isEmpty()) {
                return null;
            }
            return Sampler.start(in.get(), SAMPLE_INTERVAL, SAMPLE_OPTIONS, 1, s -> {
                if (holding) {
                    latestSample = s;
                    synchronized (samples) {
                        if (samples.size() < MAX_SAMPLES) {
                            samples.add(s);
                        }
                    }
                }
            });
        }

        private MonitorSummary summarize(Sampler sampler) {
            if (sampler == null) {
                String status = ctx.monitoring() ? ctx.introspectionStatus() : "off: monitoring switched off";
                return MonitorSummary.notSampled(status, snapshots);
            }
            sampler.failure().ifPresent(e -> notes.add("monitor: sampling stopped early: " + e));
            List<Snapshot> series;
            synchronized (samples) {
                series = List.copyOf(samples);
            }
            return MonitorSummary.of(series, ctx.currentScheduler() instanceof Scheduler.Binary, snapshots, hostTimeline::share);
        }

        /** What the host gave each vCPU over the whole run, one line. */
        private String hostNote() {
            if (!hostTimeline.available()) {
                return "host: no vCPU host times from backend " + ctx.machine().backendName()
                        + " (rq clock stalls and gaps are all judged as the guest's)";
            }
            long end = System.nanoTime();
            List<String> parts = new ArrayList<>();
            for (int cpu = 0; cpu < ctx.topology().cpuCount(); cpu++) {
                int c = cpu;
                hostTimeline.share(cpu, t0, end).ifPresent(h -> parts.add("vCPU " + c + " " + h.describe()));
            }
            return "host: " + (parts.isEmpty() ? "no readings" : String.join("; ", parts));
        }

        private void takeSnapshot() {
            Optional<Introspector> in = ctx.introspector();
            if (in.isEmpty()) {
                notes.add("snapshot: " + ctx.introspectionStatus());
                return;
            }
            if (snapshots.size() >= MAX_SNAPSHOTS) {
                return;
            }
            try {
                Snapshot s = in.get().snapshot(new SnapshotOptions(true, false, false, false, false));
                snapshots.add(s);
                notes.add("snapshot " + snapshots.size() + ": " + oneLine(s));
            } catch (RuntimeException e) {
                notes.add("snapshot failed: " + e);
            }
        }

        private static String oneLine(Snapshot s) {
            StringBuilder b = new StringBuilder();
            for (RunqueueState r : s.runqueues()) {
                b.append(b.isEmpty() ? "" : ", ").append("cpu").append(r.cpu()).append(" nr_running=").append(r.nrRunning());
                if (r.localDsqDepth() != null) {
                    b.append(" local_dsq=").append(r.localDsqDepth());
                }
            }
            if (s.schedExt() != null) {
                b.append("; sched_ext ").append(s.schedExt().enableState()).append(' ').append(s.schedExt().opsName());
            }
            if (!s.allErrors().isEmpty()) {
                b.append("; ").append(s.allErrors().size()).append(" unreadable field(s)");
            }
            return b.toString();
        }

        private void hold(int stepIndex, Duration d, Duration total) {
            takeCpus(false); // forget what the workers used before the cpusets now in force applied
            long end = System.nanoTime() + d.toNanos();
            holding = true;
            for (;;) {
                if (System.nanoTime() - lastPeekNanos >= PEEK_INTERVAL.toNanos()) {
                    peek();
                }
                ctx.reportProgress(new Ctx.Progress(stepIndex + 1, steps.size(), Duration.ofNanos(System.nanoTime() - t0), total,
                        liveTelemetry));
                long left = end - System.nanoTime();
                if (left <= 0) {
                    holding = false;
                    takeCpus(true);
                    return;
                }
                try {
                    Thread.sleep(Duration.ofNanos(Math.min(left, TICK.toNanos())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ScenarioException("interrupted while holding step " + (stepIndex + 1));
                }
            }
        }

        /**
         * Reads the running workers' progress from the agent (one request for every group) and the monitor's latest
         * sample into {@link #liveTelemetry}. Live numbers are a display: a failure is noted once and ends peeking.
         */
        private void peek() {
            long now = System.nanoTime();
            long units = finished.values().stream().mapToLong(c -> (long) c.totalWorkUnits()).sum();
            int workers = 0;
            List<WorkerGroup> groups = new ArrayList<>();
            Set<Integer> nonBlocking = new HashSet<>();
            for (LiveCgroup c : live.values()) {
                for (WorkerGroup g : c.groups) {
                    groups.add(g);
                    if (!c.blocking) {
                        nonBlocking.add(g.id());
                    }
                }
            }
            for (CgroupStats c : finished.values()) {
                if (!c.blocking() && !c.workers().isEmpty()) {
                    worstGapMs = maxNaN(worstGapMs, c.maxGapMs());
                }
            }
            if (!peekFailed && !groups.isEmpty() && holding) {
                try {
                    for (int from = 0; from < groups.size(); from += 64) {
                        var progress = ctx.agent().peekWorkers(groups.subList(from, Math.min(groups.size(), from + 64)));
                        for (var e : progress.entrySet()) {
                            for (WorkerProgress w : e.getValue()) {
                                units += w.workUnits();
                                workers += w.running() ? 1 : 0;
                                if (nonBlocking.contains(e.getKey()) && w.iterations() > 0) {
                                    worstGapMs = maxNaN(worstGapMs, w.worstGapNanos() / 1e6);
                                }
                            }
                        }
                    }
                } catch (GuestException e) {
                    peekFailed = true;
                    notes.add("live telemetry: reading worker progress failed: " + e.getMessage());
                }
            }
            // the total never goes down: a group stopped between peeks moves its units into `finished`
            units = Math.max(units, liveTelemetry.workUnits());
            double rate = Double.NaN;
            if (lastPeekUnits >= 0 && now > lastPeekNanos) {
                rate = (units - lastPeekUnits) / ((now - lastPeekNanos) / 1e9);
            }
            lastPeekUnits = units;
            lastPeekNanos = now;
            double imbalance = Double.NaN, local = Double.NaN, global = Double.NaN, user = Double.NaN;
            Snapshot s = latestSample;
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
            liveTelemetry = new LiveTelemetry(workers, units, rate, worstGapMs, imbalance, local, global, user);
        }

        private static double maxNaN(double a, double b) {
            return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
        }

        private void apply(Op op) {
            try {
                switch (op) {
                    case Op.AddCgroup a -> add(a.def());
                    case Op.RemoveCgroup r -> {
                        stop(r.name());
                        removeCgroup(r.name());
                    }
                    case Op.StopCgroup s -> stop(s.name());
                    case Op.SetCpuset s -> setCpuset(live(s.name()), Optional.of(s.cpus().resolve(ctx.topology(), "cpus")));
                    case Op.ClearCpuset c -> setCpuset(live(c.name()), Optional.empty());
                    case Op.SwapCpusets s -> {
                        LiveCgroup a = live(s.a()), b = live(s.b());
                        Optional<BitSet> ca = a.cpuset, cb = b.cpuset;
                        setCpuset(a, cb);
                        setCpuset(b, ca);
                    }
                    case Op.Freeze f -> ctx.sh("echo " + (f.frozen() ? 1 : 0) + " > \"$1\"/cgroup.freeze", live(f.name()).path);
                    case Op.MoveTasks m -> {
                        LiveCgroup from = live(m.from()), to = live(m.to());
                        List<Integer> all = from.pids();
                        if (all.isEmpty()) {
                            throw new ScenarioException("move tasks: cgroup " + m.from() + " has no running workers");
                        }
                        List<Integer> pids = all.subList(0, Math.min(m.count(), all.size()));
                        for (int pid : pids) {
                            ctx.sh("echo " + pid + " > \"$1\"/cgroup.procs", to.path);
                        }
                    }
                    case Op.SetAffinity sa -> {
                        LiveCgroup c = live(sa.name());
                        BitSet cpus = sa.cpus().resolve(ctx.topology(), "cpus");
                        for (int pid : c.pids()) {
                            ctx.sh("taskset -p \"$1\" \"$2\" >/dev/null", "0x" + new java.math.BigInteger(1, reverse(cpus.toByteArray())).toString(16),
                                    String.valueOf(pid));
                        }
                        c.groups.forEach(g -> groupAffinity.put(g.id(), Optional.of((BitSet) cpus.clone())));
                        if (c.affinityEver.isPresent()) {
                            c.affinityEver.get().or(cpus);
                        }
                    }
                    case Op.Spawn sp -> {
                        LiveCgroup c = live(sp.cgroup());
                        BitSet affinity = c.def.affinity().map(a -> a.resolve(ctx.topology(), "affinity")).orElse(new BitSet());
                        spawnInto(c, sp.workers(), sp.work(), affinity);
                    }
                    case Op.DetachScheduler d -> {
                        String was = ctx.currentScheduler().name();
                        ctx.detachScheduler();
                        opsName = "";
                        event(TimelineEvent.DETACHED, was + " detached");
                        ran(ctx.currentScheduler().name());
                    }
                    case Op.AttachScheduler a -> {
                        ctx.attachScheduler();
                        opsName = ctx.opsName();
                        event(TimelineEvent.ATTACHED, "");
                        ran(ctx.currentScheduler().name());
                    }
                    case Op.ReplaceScheduler rs -> {
                        Ctx.SchedulerSwap swap = ctx.replaceScheduler(rs.next());
                        if (!swap.from().equals(Scheduler.eevdf().name())) {
                            timeline.add(new TimelineEvent(Duration.ofNanos(System.nanoTime() - t0), step, TimelineEvent.DETACHED,
                                    Scheduler.eevdf().name(), "", swap.from() + (swap.fromOps().isEmpty() ? "" : " (" + swap.fromOps() + ")")
                                    + " detached; sched_ext disabled after " + swap.detachTook().toMillis() + " ms"));
                        }
                        opsName = swap.toOps();
                        event(TimelineEvent.ATTACHED, "sched_ext enabled after " + swap.attachTook().toMillis() + " ms");
                        ran(swap.to());
                        notes.add("step " + step + ": scheduler " + swap.from() + (swap.fromOps().isEmpty() ? "" : " (" + swap.fromOps() + ")")
                                + " replaced by " + swap.to() + " (" + swap.toOps() + "): detached in " + swap.detachTook().toMillis()
                                + " ms, attached in " + swap.attachTook().toMillis() + " ms");
                    }
                    case Op.TakeSnapshot t -> takeSnapshot();
                    case Op.ReadKernelValue r -> notes.add(r.path() + " = " + ctx.sh("cat \"$1\"", r.path()).strip());
                    case Op.KillScheduler k -> {
                        if (!(ctx.currentScheduler() instanceof Scheduler.Binary b)) {
                            throw new ScenarioException("kill scheduler: this run uses EEVDF, there is no scheduler process");
                        }
                        ctx.sh("killall -" + k.signal() + " \"$1\"", b.name());
                        // sched_ext disables asynchronously once the scheduler's link is gone
                        ctx.sh("for i in $(seq 100); do [ \"$(cat " + Ctx.SCHED_EXT_STATE + ")\" = disabled ] && exit 0; sleep 0.1; done");
                    }
                    case Op.WriteKernelValue w -> ctx.sh("printf '%s' \"$1\" > \"$2\"", w.value(), w.path());
                }
            } catch (GuestException e) {
                throw new ScenarioException("op " + op + " failed in the guest: " + e.getMessage(), e);
            }
        }

        private void ran(String scheduler) {
            if (!schedulersRan.getLast().equals(scheduler)) {
                schedulersRan.add(scheduler);
            }
        }

        private LiveCgroup live(String name) {
            LiveCgroup c = live.get(name);
            if (c == null) {
                throw new ScenarioException("no live cgroup '" + name + "'");
            }
            return c;
        }

        private void add(CgroupDef def) {
            LiveCgroup c = new LiveCgroup(def);
            if (def.parentName().isPresent()) {
                LiveCgroup parent = live(def.parentName().get());
                if (!parent.controllersEnabled) {
                    // children get the cpuset and cpu controllers only through their parent's subtree_control
                    ctx.sh("echo '+cpuset +cpu' > \"$1\"/cgroup.subtree_control", parent.path);
                    parent.controllersEnabled = true;
                }
            }
            ctx.sh("mkdir \"$1\"", c.path);
            live.put(def.name(), c);
            c.cpuset = Optional.empty();
            c.everUnrestricted = true;
            if (def.cpuset().isPresent()) {
                c.everUnrestricted = false;
                setCpuset(c, Optional.of(def.cpuset().get().resolve(ctx.topology(), "cpuset")));
            }
            if (def.memoryPolicy().isPresent() && def.memoryPolicy().get().cpusetMems().isPresent()) {
                // bind: the cpuset's memory nodes match the policy's (set before any worker is in the cgroup)
                ctx.sh("echo \"$2\" > \"$1\"/cpuset.mems", c.path, def.memoryPolicy().get().cpusetMems().get());
            }
            if (def.workers() == 0) {
                return; // a parent of nested cgroups
            }
            BitSet affinity = def.affinity().map(a -> a.resolve(ctx.topology(), "affinity")).orElse(new BitSet());
            c.affinityEver = def.affinity().map(a -> (BitSet) affinity.clone());
            WorkType w = def.work();
            spawnInto(c, def.workers(), w, affinity);
        }

        /** Spawns workers into a live cgroup (two-phase: created and moved, then released) with its definition's settings. */
        private void spawnInto(LiveCgroup c, int workers, WorkType w, BitSet affinity) {
            WorkerRequest req = new WorkerRequest(c.path, workers, w.kind(), w.param1(), w.param2(), c.def.nice(),
                    c.def.policy().map(p -> p.number).orElse(-1), affinity, w.guestPhases(),
                    c.def.memoryPolicy().map(MemoryPolicy::toRequest));
            WorkerGroup g = ctx.agent().spawnWorkers(req);
            c.groups.add(g);
            groupAffinity.put(g.id(), affinity.isEmpty() ? Optional.empty() : Optional.of((BitSet) affinity.clone()));
            c.workTypes.add(w.kind().name());
            c.blocking |= w.blocksByDesign();
            long before = System.nanoTime();
            ctx.agent().startWorkers(g);
            // the workers' clocks start at the release, somewhere in the round trip
            groupStarted.put(g.id(), before + (System.nanoTime() - before) / 2);
        }

        private void setCpuset(LiveCgroup c, Optional<BitSet> cpus) {
            if (cpus.isPresent()) {
                ctx.sh("echo \"$2\" > \"$1\"/cpuset.cpus", c.path, CpusetSpec.format(cpus.get()));
            } else {
                // The kernel refuses to empty cpuset.cpus while tasks are in the cgroup (ENOSPC): clearing gives it
                // every CPU its parent has instead, which is what an empty one would mean now.
                ctx.sh("cat \"$(dirname \"$1\")\"/cpuset.cpus.effective > \"$1\"/cpuset.cpus", c.path);
            }
            c.cpuset = cpus;
            if (cpus.isPresent()) {
                c.allowedEver.or(cpus.get());
            } else {
                c.everUnrestricted = true;
            }
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
            for (Optional<String> p = c.def.parentName(); p.isPresent(); p = live(p.get()).def.parentName()) {
                LiveCgroup parent = live(p.get());
                if (!parent.everUnrestricted) {
                    BitSet b = allowed.map(x -> (BitSet) x.clone()).orElse((BitSet) parent.allowedEver.clone());
                    b.and(parent.allowedEver);
                    allowed = Optional.of(b);
                }
            }
            return allowed;
        }

        private void stop(String name) {
            LiveCgroup c = live(name);
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
            Optional<HostTimeline.Share> share = hostTimeline.share(w.maxGapCpu(), begin, end);
            Optional<Long> starved = hostTimeline.starvedNanos(w.maxGapCpu(), begin, end);
            if (share.isEmpty() || starved.isEmpty()) {
                return CgroupStats.GapHost.UNKNOWN;
            }
            return new CgroupStats.GapHost(starved.get(), share.get().describe());
        }

        /**
         * Takes the CPUs every running worker used since the last take ({@code WORKERS_CPUS}); with {@code record}, at
         * the end of a hold, adds them to the step's {@link StepCpus}, against the CPUs each worker is allowed now.
         * A failure is noted once, and the holds from then on are recorded as not known.
         */
        private void takeCpus(boolean record) {
            List<WorkerGroup> groups = new ArrayList<>();
            Map<Integer, LiveCgroup> owner = new HashMap<>();
            for (LiveCgroup c : live.values()) {
                for (WorkerGroup g : c.groups) {
                    groups.add(g);
                    owner.put(g.id(), c);
                }
            }
            if (record) {
                for (WorkerGroup g : groups) {
                    LiveCgroup c = owner.get(g.id());
                    stepCpus.computeIfAbsent(step + "/" + c.def.name(), k -> new StepCpus(step, c.def.name())).allowed
                            .add(allowedNow(c, g.id()).map(CpusetSpec::format).orElse(ALL));
                }
            }
            String missing = cpusUnavailable != null ? cpusUnavailable
                    : record && !cpusCleared ? "the CPUs used before step " + step + "'s hold could not be told apart" : null;
            if (cpusUnavailable == null && !groups.isEmpty()) {
                try {
                    for (int from = 0; from < groups.size(); from += 64) {
                        var taken = ctx.agent().takeWorkerCpus(groups.subList(from, Math.min(groups.size(), from + 64)));
                        if (record && missing == null) {
                            taken.forEach((id, workers) -> recordCpus(owner.get(id), id, workers));
                        }
                    }
                } catch (GuestException e) {
                    cpusUnavailable = "the agent did not say which CPUs the workers used (" + e.getMessage() + ")";
                    notes.add("isolation per step: " + cpusUnavailable);
                    missing = cpusUnavailable;
                }
            }
            if (record && missing != null) {
                for (WorkerGroup g : groups) {
                    StepCpus acc = stepCpus.get(step + "/" + owner.get(g.id()).def.name());
                    if (acc.missing == null) {
                        acc.missing = missing;
                    }
                }
            }
            cpusCleared = !record && cpusUnavailable == null;
        }

        private void recordCpus(LiveCgroup c, int groupId, List<dev.jktstr.guest.WorkerCpus> workers) {
            StepCpus acc = stepCpus.get(step + "/" + c.def.name());
            Optional<BitSet> allowed = allowedNow(c, groupId);
            for (dev.jktstr.guest.WorkerCpus w : workers) {
                BitSet used = acc.used.computeIfAbsent(w.pid(), p -> new BitSet());
                for (int cpu : w.cpus()) {
                    used.set(cpu);
                    if (allowed.isPresent() && !allowed.get().get(cpu)) {
                        acc.outside.computeIfAbsent(w.pid(), p -> new BitSet()).set(cpu);
                    }
                }
            }
        }

        /**
         * The CPUs a group's workers may use now: the cgroup's cpuset, within each ancestor's, and the workers'
         * affinity; empty when nothing restricts them.
         */
        private Optional<BitSet> allowedNow(LiveCgroup c, int groupId) {
            BitSet a = c.cpuset.map(b -> (BitSet) b.clone()).orElse(null);
            Optional<BitSet> affinity = groupAffinity.getOrDefault(groupId, Optional.empty());
            if (affinity.isPresent()) {
                a = intersect(a, affinity.get());
            }
            for (Optional<String> p = c.def.parentName(); p.isPresent(); p = live(p.get()).def.parentName()) {
                LiveCgroup parent = live(p.get());
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

        /**
         * Isolation per step, for each cgroup whose allowed CPUs changed during the run (one whose CPUs stayed the same
         * is judged by the run-wide claim): a claim per step it was restricted in, a SKIP row where that step cannot be
         * judged (CPUs not known, no worker ran), and a SKIP row for the run-wide claim of a cgroup that was
         * unrestricted for part of the run, which has no one cpuset to be judged against.
         */
        private void judgeIsolationPerStep(Verdict v, Assert thresholds, List<CgroupStats> stats) {
            if (thresholds.cpusetIsolation() == null || !thresholds.cpusetIsolation()) {
                return;
            }
            Map<String, List<StepCpus>> byCgroup = new LinkedHashMap<>();
            stepCpus.values().forEach(s -> byCgroup.computeIfAbsent(s.cgroup, k -> new ArrayList<>()).add(s));
            for (var e : byCgroup.entrySet()) {
                Set<String> seen = new java.util.LinkedHashSet<>();
                e.getValue().forEach(s -> seen.addAll(s.allowed));
                if (seen.size() <= 1) {
                    continue;
                }
                List<String> judged = new ArrayList<>();
                List<Integer> unrestricted = new ArrayList<>();
                List<Integer> restricted = new ArrayList<>();
                for (StepCpus s : e.getValue()) {
                    if (!s.everRestricted()) {
                        unrestricted.add(s.step);
                        continue;
                    }
                    restricted.add(s.step);
                    StepIsolation subject = s.subject();
                    Verdict.Claim c = v.claim(StepIsolation::workersOutsideCpuset, subject);
                    judged.add(subject.label() + ".workersOutsideCpuset");
                    if (s.missing != null) {
                        c.skip("cannot be judged: " + s.missing);
                    } else if (!subject.anyUsed()) {
                        c.skip("cannot be judged: no worker of " + s.cgroup + " did an iteration during step " + s.step
                                + "'s hold");
                    } else {
                        c.detail(subject.describe()).eq(0);
                    }
                }
                Optional<CgroupStats> run = stats.stream().filter(cs -> cs.name().equals(e.getKey())).findFirst();
                if (!unrestricted.isEmpty() && run.isPresent() && run.get().cpuset().isEmpty() && !run.get().workers().isEmpty()) {
                    v.claim(CgroupStats::workersOutsideCpuset, run.get()).skip("no one cpuset to judge the run against: "
                            + e.getKey() + " was unrestricted in " + steps(unrestricted) + " and restricted in "
                            + steps(restricted) + "; judged per step: " + String.join(", ", judged));
                }
            }
        }

        private static String steps(List<Integer> steps) {
            return (steps.size() > 1 ? "steps " : "step ")
                    + steps.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
        }

        private void removeCgroup(String name) {
            LiveCgroup c = live.remove(name);
            if (c != null) {
                // Killed workers may take a moment to leave; rmdir fails with EBUSY until they have.
                ctx.sh("for i in 1 2 3 4 5 6 7 8 9 10; do rmdir \"$1\" 2>/dev/null && exit 0; sleep 0.2; done; rmdir \"$1\"", c.path);
            }
        }
    }

    /** Big-endian bytes from BitSet's little-endian ones (for a hex CPU mask). */
    private static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    /** For tests and tools: the names {@link #canned()} knows, in order. */
    static List<String> cannedNames() {
        return List.copyOf(canned().keySet());
    }

}
