package dev.jktstr.scenario;

import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.WorkerGroup;
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

    private static int halves(Topology t) {
        return t.cpuCount() >= 2 ? 2 : 1;
    }

    /** The canned scenarios by name. */
    public static Map<String, Scenario> canned() {
        Map<String, Scenario> m = new TreeMap<>();
        for (Scenario s : List.of(steady(), steadyPerLlc(), oversubscribed(), pinned(), mixedWorkloads(), cpusetApply(),
                cpusetClear(), cpusetResize(), cgroupAddRemove(), affinityChange(), cpusetFlip())) {
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
        if (steps.isEmpty()) {
            throw new InvalidScenarioException("steps", "a scenario needs at least one step");
        }
        Set<String> live = new HashSet<>();
        Set<String> everCreated = new HashSet<>();
        int totalWorkers = 0;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            String at = "steps[" + i + "].";
            s.hold().validate(at + "hold");
            if (s.hold() instanceof HoldSpec.Loop) {
                for (int j = 0; j < s.ops().size(); j++) {
                    Op op = s.ops().get(j);
                    if (op instanceof Op.AddCgroup || op instanceof Op.RemoveCgroup || op instanceof Op.KillScheduler
                            || op instanceof Op.Spawn
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
                        a.def().validate(topology, f);
                        if (!everCreated.add(a.def().name())) {
                            throw new InvalidScenarioException(f + "cgroup.name", "cgroup '" + a.def().name() + "' is added twice");
                        }
                        live.add(a.def().name());
                        totalWorkers += a.def().workers();
                    }
                    case Op.RemoveCgroup r -> {
                        known(live, r.name(), f + "name");
                        live.remove(r.name());
                    }
                    case Op.StopCgroup st -> known(live, st.name(), f + "name");
                    case Op.SetCpuset sc -> {
                        known(live, sc.name(), f + "name");
                        if (sc.cpus() == null) {
                            throw new InvalidScenarioException(f + "cpus", "missing");
                        }
                        sc.cpus().resolve(topology, f + "cpus");
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
                        if (mv.count() < 1) {
                            throw new InvalidScenarioException(f + "count", "must be at least 1, got " + mv.count());
                        }
                    }
                    case Op.SetAffinity sa -> {
                        known(live, sa.name(), f + "name");
                        if (sa.cpus() == null) {
                            throw new InvalidScenarioException(f + "cpus", "missing");
                        }
                        sa.cpus().resolve(topology, f + "cpus");
                    }
                    case Op.Spawn sp -> {
                        known(live, sp.cgroup(), f + "cgroup");
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
        private final Ctx ctx;
        private final List<Step> steps;
        private final Map<String, LiveCgroup> live = new LinkedHashMap<>();
        private final Map<String, CgroupStats> finished = new LinkedHashMap<>();
        private final BitSet allCpus = new BitSet();
        private final List<String> notes = new ArrayList<>();
        private final List<Snapshot> samples = new ArrayList<>(); // guarded by itself; filled by the sampler thread
        private final List<Snapshot> snapshots = new ArrayList<>();
        private volatile boolean holding;

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
            Instant started = Instant.now();
            long t0 = System.nanoTime();
            Duration total = steps.stream().map(s -> s.hold().of(ctx.duration())).reduce(Duration.ZERO, Duration::plus);
            Verdict verdict;
            Sampler sampler = startSampler();
            try {
                for (int i = 0; i < steps.size(); i++) {
                    Step s = steps.get(i);
                    for (Op op : s.ops()) {
                        apply(op);
                    }
                    if (s.hold() instanceof HoldSpec.Loop loop) {
                        long end = System.nanoTime() + loop.of(ctx.duration()).toNanos();
                        for (;;) {
                            long left = end - System.nanoTime();
                            hold(i, Duration.ofNanos(Math.max(0, Math.min(left, loop.interval().toNanos()))), t0, total);
                            if (end - System.nanoTime() <= 0) {
                                break;
                            }
                            s.ops().forEach(this::apply);
                        }
                    } else {
                        hold(i, s.hold().of(ctx.duration()), t0, total);
                    }
                }
            } finally {
                holding = false;
                if (sampler != null) {
                    sampler.close();
                }
                for (String n : new ArrayList<>(live.keySet())) {
                    try {
                        stop(n);
                        removeCgroup(n);
                    } catch (RuntimeException e) {
                        // keep the first failure; cleanup is best effort
                    }
                }
            }
            List<CgroupStats> stats = List.copyOf(finished.values());
            verdict = ctx.thresholds().check(stats);
            MonitorSummary monitor = summarize(sampler);
            ctx.thresholds().check(verdict, monitor);
            notes.forEach(verdict::note);
            verdict.note(monitor.describe());
            String state = ctx.schedExtState();
            Optional<String> exit = Optional.empty();
            if (ctx.scheduler() instanceof Scheduler.Binary b && ctx.schedulerExpected()) {
                if (!state.equals("enabled")) {
                    exit = ctx.schedulerExitReason();
                    String log = ctx.schedulerLog().strip();
                    verdict.fail("scheduler " + b.name() + " is no longer attached (sched_ext state '" + state + "')"
                            + exit.map(r -> ": " + r).orElse("") + (log.isEmpty() ? "" : "; its output: "
                            + (log.length() > 500 ? "…" + log.substring(log.length() - 500) : log)));
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            return new RunResult(name, started, elapsed, total, ctx.kernelRelease(), ctx.kernel().image().toString(),
                    ctx.topology(), ctx.machine().backendName(), ctx.scheduler().name(), state, exit, stats, verdict, monitor);
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
            return Sampler.start(in.get(), SAMPLE_INTERVAL, SnapshotOptions.SCHEDULER, 1, s -> {
                if (holding) {
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
            boolean expected = ctx.scheduler() instanceof Scheduler.Binary && ctx.schedulerExpected();
            return MonitorSummary.of(series, expected, snapshots);
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

        private void hold(int step, Duration d, long t0, Duration total) {
            long end = System.nanoTime() + d.toNanos();
            holding = true;
            for (;;) {
                ctx.reportProgress(new Ctx.Progress(step + 1, steps.size(), Duration.ofNanos(System.nanoTime() - t0), total));
                long left = end - System.nanoTime();
                if (left <= 0) {
                    holding = false;
                    return;
                }
                try {
                    Thread.sleep(Duration.ofNanos(Math.min(left, TICK.toNanos())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ScenarioException("interrupted while holding step " + (step + 1));
                }
            }
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
                        {
                            for (int pid : c.pids()) {
                                ctx.sh("taskset -p \"$1\" \"$2\" >/dev/null", "0x" + new java.math.BigInteger(1, reverse(cpus.toByteArray())).toString(16),
                                        String.valueOf(pid));
                            }
                        }
                        if (c.affinityEver.isPresent()) {
                            c.affinityEver.get().or(cpus);
                        }
                    }
                    case Op.Spawn sp -> {
                        LiveCgroup c = live(sp.cgroup());
                        BitSet affinity = c.def.affinity().map(a -> a.resolve(ctx.topology(), "affinity")).orElse(new BitSet());
                        spawnInto(c, sp.workers(), sp.work(), affinity);
                    }
                    case Op.DetachScheduler d -> ctx.detachScheduler();
                    case Op.AttachScheduler a -> ctx.attachScheduler();
                    case Op.TakeSnapshot t -> takeSnapshot();
                    case Op.ReadKernelValue r -> notes.add(r.path() + " = " + ctx.sh("cat \"$1\"", r.path()).strip());
                    case Op.KillScheduler k -> {
                        if (!(ctx.scheduler() instanceof Scheduler.Binary b)) {
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

        private LiveCgroup live(String name) {
            LiveCgroup c = live.get(name);
            if (c == null) {
                throw new ScenarioException("no live cgroup '" + name + "'");
            }
            return c;
        }

        private void add(CgroupDef def) {
            LiveCgroup c = new LiveCgroup(def);
            ctx.sh("mkdir \"$1\"", c.path);
            live.put(def.name(), c);
            c.cpuset = Optional.empty();
            c.everUnrestricted = true;
            if (def.cpuset().isPresent()) {
                c.everUnrestricted = false;
                setCpuset(c, Optional.of(def.cpuset().get().resolve(ctx.topology(), "cpuset")));
            }
            BitSet affinity = def.affinity().map(a -> a.resolve(ctx.topology(), "affinity")).orElse(new BitSet());
            c.affinityEver = def.affinity().map(a -> (BitSet) affinity.clone());
            WorkType w = def.work();
            spawnInto(c, def.workers(), w, affinity);
        }

        /** Spawns workers into a live cgroup (two-phase: created and moved, then released) with its definition's settings. */
        private void spawnInto(LiveCgroup c, int workers, WorkType w, BitSet affinity) {
            WorkerRequest req = new WorkerRequest(c.path, workers, w.kind(), w.param1(), w.param2(), c.def.nice(),
                    c.def.policy().map(p -> p.number).orElse(-1), affinity, w.guestPhases());
            WorkerGroup g = ctx.agent().spawnWorkers(req);
            c.groups.add(g);
            c.workTypes.add(w.kind().name());
            c.blocking |= w.blocksByDesign();
            ctx.agent().startWorkers(g);
        }

        private void setCpuset(LiveCgroup c, Optional<BitSet> cpus) {
            ctx.sh("echo \"$2\" > \"$1\"/cpuset.cpus", c.path, cpus.map(CpusetSpec::format).orElse(""));
            c.cpuset = cpus;
            if (cpus.isPresent()) {
                c.allowedEver.or(cpus.get());
            } else {
                c.everUnrestricted = true;
            }
        }

        private void stop(String name) {
            LiveCgroup c = live(name);
            if (c.groups.isEmpty()) {
                return;
            }
            List<WorkerTelemetry> t = new ArrayList<>();
            for (WorkerGroup g : c.groups) {
                t.addAll(ctx.agent().stopWorkers(g, STOP_GRACE));
            }
            c.groups.clear();
            Optional<BitSet> allowed;
            if (c.affinityEver.isPresent()) {
                BitSet a = (BitSet) c.affinityEver.get().clone();
                if (!c.everUnrestricted) {
                    a.and(c.allowedEver);
                }
                allowed = Optional.of(a);
            } else {
                allowed = c.everUnrestricted ? Optional.empty() : Optional.of(c.allowedEver);
            }
            CgroupStats stats = new CgroupStats(name, String.join("+", c.workTypes), c.blocking, allowed, t);
            finished.merge(name, stats, (old, neu) -> {
                List<WorkerTelemetry> all = new ArrayList<>(old.workers());
                all.addAll(neu.workers());
                return new CgroupStats(name, neu.workType(), neu.blocking(), neu.cpuset(), all);
            });
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
