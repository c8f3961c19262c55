package dev.jktstr.scenario.gauntlet;

import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.machine.Topology;
import dev.jktstr.machine.TopologyPreset;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Scenario;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.Vm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sweep: scenarios × topologies (presets) × schedulers × kernels, each combination in its own VM, as many at once
 * as the {@link Budget} admits, results in a directory with one result file per run and {@link GauntletIndex}.
 * {@code Gauntlet.builder().scenarios(Scenarios.steady()).presets("tiny-1llc", "odd-3llc").duration(3s).resultsDir(dir)
 * .build().run()}. Combinations that do not fit their scenario's {@link dev.jktstr.scenario.TopologyRequirements} or
 * the host's memory are SKIP with the reason; {@code shard(i/n)} runs this machine's part ({@link ShardPlanner}).
 * A gauntlet runs once; {@link #cancel()} (Ctrl-C) closes the running VMs and still writes the (partial) index.
 */
public final class Gauntlet {
    private final List<Scenario> scenarios;
    private final List<Topo> topologies;
    private final List<Scheduler> schedulers;
    private final List<KernelChoice> kernels;
    private final Duration duration;
    private final Long memoryPerNodeMib;
    private final Optional<Shard> shard;
    private final Budget budget;
    private final Integer vcpuBudget;
    private final Long memoryBudget;
    private final Integer maxVms;
    private final HostResources host;
    private final Path resultsDir;
    private final GauntletListener listener;
    private final CombinationRunner runner;

    private final AtomicBoolean ran = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile BudgetScheduler<Combination> scheduler;
    private volatile boolean cancelled;
    private GauntletPlan plan;
    private Map<RunKey, CompletableFuture<GauntletEntry>> futures;
    private volatile CompletableFuture<GauntletResult> async;

    record Topo(String label, Topology topology, long memoryPerNodeMib) {
    }

    record KernelChoice(String label, Optional<Path> path) {
    }

    private Gauntlet(Builder b) {
        if (b.scenarios.isEmpty()) {
            throw new InvalidScenarioException("--scenarios", "no scenario given; canned: "
                    + String.join(", ", Scenarios.canned().keySet()));
        }
        if (b.topologies.isEmpty()) {
            throw new InvalidScenarioException("--presets", "no preset or topology given; presets: "
                    + String.join(", ", TopologyPreset.all().stream().map(TopologyPreset::name).toList()));
        }
        if (b.duration == null || b.duration.isNegative() || b.duration.isZero()) {
            throw new InvalidScenarioException("--duration", "must be positive, got " + b.duration);
        }
        if (b.resultsDir == null) {
            throw new InvalidScenarioException("--output", "a results directory is needed");
        }
        this.scenarios = List.copyOf(b.scenarios);
        this.topologies = List.copyOf(b.topologies);
        this.schedulers = b.schedulers.isEmpty() ? List.of(Scheduler.eevdf()) : List.copyOf(b.schedulers);
        for (Scheduler s : schedulers) {
            Vm.builder().scheduler(s).build(); // rejects a missing or unusable binary now, naming it
        }
        this.kernels = b.kernels.isEmpty() ? List.of(defaultKernel()) : List.copyOf(b.kernels);
        this.duration = b.duration;
        this.memoryPerNodeMib = b.memoryPerNodeMib;
        this.shard = Optional.ofNullable(b.shard);
        this.host = b.host != null ? b.host : HostResources.detect();
        this.budget = b.budget;
        this.vcpuBudget = b.vcpuBudget;
        this.memoryBudget = b.memoryBudget;
        this.maxVms = b.maxVms;
        this.resultsDir = b.resultsDir;
        this.listener = b.listener;
        this.runner = b.runner != null ? b.runner
                : new VmCombinationRunner(Optional.ofNullable(b.backend), b.commandLine, b.bootTimeout, b.snapshot);
    }

    private static KernelChoice defaultKernel() {
        String property = System.getProperty("jktstr.kernel", "");
        try {
            var image = property.isEmpty() ? KernelLookup.standard().find() : KernelLookup.resolve(property);
            return new KernelChoice(KernelRelease.of(image.image()), Optional.empty());
        } catch (RuntimeException e) {
            throw new InvalidScenarioException("--kernel", e.getMessage());
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The matrix, this shard's part of it, what is skipped and why, and the queue order. Nothing boots. */
    public synchronized GauntletPlan plan() {
        if (plan != null) {
            return plan;
        }
        List<Combination> matrix = new ArrayList<>();
        for (Scenario s : scenarios) {
            for (Scheduler sch : schedulers) {
                for (Topo t : topologies) {
                    for (KernelChoice k : kernels) {
                        long mem = memoryPerNodeMib != null ? memoryPerNodeMib : t.memoryPerNodeMib();
                        matrix.add(new Combination(new RunKey(s.name(), sch.name(), t.label(), k.label()), s, t.topology(),
                                mem, sch, k.path(), duration));
                    }
                }
            }
        }
        checkUnique(matrix);
        List<Combination> mine = shard.map(sh -> ShardPlanner.select(matrix, sh, Combination::key, Combination::cost))
                .orElse(matrix);
        long memory = budget != null ? budget.memoryMib() : memoryBudget != null ? memoryBudget : host.usableMemoryMib();
        List<Combination> toRun = new ArrayList<>();
        List<GauntletEntry> skipped = new ArrayList<>();
        for (Combination c : mine) {
            skipReason(c, memory).ifPresentOrElse(r -> skipped.add(GauntletEntry.skip(c.key(), r)), () -> toRun.add(c));
        }
        toRun.sort(Comparator.comparingLong(Combination::cost).reversed().thenComparing(Combination::key));
        int largest = toRun.stream().mapToInt(Combination::vcpus).max().orElse(1);
        Budget b = budget != null ? budget : hostBudget(largest);
        plan = new GauntletPlan(toRun, skipped, b, shard, matrix.size());
        futures = new LinkedHashMap<>();
        for (Combination c : toRun) {
            futures.put(c.key(), new CompletableFuture<>());
        }
        for (GauntletEntry e : skipped) {
            futures.put(e.key(), CompletableFuture.completedFuture(e));
        }
        return plan;
    }

    /** {@link Budget#forHost} with what {@code --vcpus}, {@code --memory-budget} and {@code --max-vms} override. */
    private Budget hostBudget(int largest) {
        Budget def = Budget.forHost(host, largest);
        if (vcpuBudget == null && memoryBudget == null && maxVms == null) {
            return def;
        }
        List<String> set = new ArrayList<>();
        if (vcpuBudget != null) {
            set.add(vcpuBudget + " vCPUs");
        }
        if (memoryBudget != null) {
            set.add(memoryBudget + " MiB");
        }
        if (maxVms != null) {
            set.add("at most " + maxVms + " VMs at once");
        }
        // a vCPU budget given is the user's word: no floor of VMs beyond it
        int cpus = vcpuBudget != null ? vcpuBudget : def.vcpus();
        long mem = memoryBudget != null ? memoryBudget : def.memoryMib();
        int most = maxVms != null ? maxVms : def.maxVms();
        int floor = Math.min(most, vcpuBudget != null ? 1 : def.floorVms());
        return new Budget(cpus, mem, floor, most, cpus + " vCPUs, " + mem + " MiB, "
                + (most == Integer.MAX_VALUE ? "at least " + floor + " VMs at once" : floor == most ? most
                        + " VMs at once" : floor + " to " + most + " VMs at once")
                + " (given: " + String.join(", ", set) + "; the host's default: " + def.why() + ")");
    }

    private static void checkUnique(List<Combination> matrix) {
        Map<RunKey, Combination> seen = new java.util.HashMap<>();
        for (Combination c : matrix) {
            if (seen.put(c.key(), c) != null) {
                throw new InvalidScenarioException("matrix", "the combination " + c.key()
                        + " appears twice (a preset, scheduler, scenario or kernel given twice, or two scheduler"
                        + " binaries with the same file name)");
            }
        }
    }

    /** Why {@code c} cannot run here: its scenario's constraints, the host's memory, or a scenario that does not fit. */
    private static Optional<String> skipReason(Combination c, long memoryMib) {
        Optional<String> mismatch = c.scenario().requirements().mismatch(c.topology());
        if (mismatch.isPresent()) {
            return Optional.of("scenario " + c.scenario().name() + " " + mismatch.get() + " (" + c.topology() + ")");
        }
        if (c.memoryMib() > memoryMib) {
            return Optional.of("needs " + c.memoryMib() + " MiB of memory, the host can give " + memoryMib
                    + " MiB (--memory sets less per node)");
        }
        try {
            c.scenario().stepsFor(c.topology());
        } catch (InvalidScenarioException e) {
            return Optional.of("scenario " + c.scenario().name() + " does not fit " + c.topology() + ": " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Runs the plan; returns when every started run has ended and the index is written. */
    public GauntletResult run() {
        if (!ran.compareAndSet(false, true)) {
            throw new IllegalStateException("a gauntlet runs once; build another");
        }
        GauntletPlan p = plan();
        List<GauntletEntry> entries = Collections.synchronizedList(new ArrayList<>(p.skipped()));
        try {
            listener.planned(p);
            Files.createDirectories(resultsDir);
            BudgetScheduler<Combination> s = new BudgetScheduler<>(p.budget(), Combination::vcpus, Combination::memoryMib);
            scheduler = s;
            if (!cancelled) {
                s.runAll(p.toRun(), c -> {
                    listener.started(c);
                    GauntletEntry e;
                    try {
                        e = runner.run(c, resultsDir);
                    } catch (RuntimeException ex) {
                        e = new GauntletEntry(c.key(), GauntletOutcome.ERROR, String.valueOf(ex.getMessage()), null, 0);
                    }
                    entries.add(e);
                    futures.get(c.key()).complete(e);
                    listener.finished(e);
                });
            }
        } catch (InterruptedException e) {
            cancel();
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException("creating " + resultsDir + ": " + e.getMessage(), e);
        } finally {
            GauntletIndex index = new GauntletIndex(GauntletIndex.jktstrVersion(), Instant.now(), shard, List.copyOf(entries));
            Path file = index.write(resultsDir);
            int notRun = p.toRun().size() + p.skipped().size() - index.runs().size();
            for (var f : futures.values()) {
                f.complete(null); // not started: cancelled before its turn
            }
            result = new GauntletResult(index, file, cancelled, notRun);
            done.countDown();
        }
        return result;
    }

    private volatile GauntletResult result;

    /** Runs in the background; the future completes with {@link #run()}'s result. */
    public synchronized CompletableFuture<GauntletResult> runAsync() {
        if (async == null) {
            plan();
            async = CompletableFuture.supplyAsync(this::run, r -> Thread.ofPlatform().name("gauntlet").start(r));
        }
        return async;
    }

    /** The entry of {@code key} once it has run (null when cancelled before it started); starts nothing. */
    public synchronized CompletableFuture<GauntletEntry> entry(RunKey key) {
        plan();
        CompletableFuture<GauntletEntry> f = futures.get(key);
        if (f == null) {
            throw new IllegalArgumentException("no combination " + key + " in this gauntlet's plan");
        }
        return f;
    }

    /**
     * Stops: nothing more starts, running VMs are closed (their runs end as ERROR "cancelled"); {@link #run()} then
     * writes the index of what ran and returns. Safe from any thread, e.g. a shutdown hook.
     */
    public void cancel() {
        cancelled = true;
        BudgetScheduler<Combination> s = scheduler;
        if (s != null) {
            s.cancel();
        }
        runner.cancelAll();
    }

    /** Waits until {@link #run()} has returned (its index written), at most {@code timeout}; true if it has. */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The most VMs that ran at once (0 before {@link #run()}). */
    public int peakVms() {
        BudgetScheduler<Combination> s = scheduler;
        return s == null ? 0 : s.peakVms();
    }

    public Path resultsDir() {
        return resultsDir;
    }

    public static final class Builder {
        private final List<Scenario> scenarios = new ArrayList<>();
        private final List<Topo> topologies = new ArrayList<>();
        private final List<Scheduler> schedulers = new ArrayList<>();
        private final List<KernelChoice> kernels = new ArrayList<>();
        private Duration duration = Duration.ofSeconds(5);
        private Long memoryPerNodeMib;
        private Shard shard;
        private Budget budget;
        private Integer vcpuBudget;
        private Long memoryBudget;
        private Integer maxVms;
        private HostResources host;
        private Path resultsDir;
        private String backend;
        private String commandLine = "quiet";
        private Duration bootTimeout = Duration.ofSeconds(120);
        private boolean snapshot = dev.jktstr.guest.SnapshotStore.enabledByDefault();
        private GauntletListener listener = GauntletListener.NONE;
        private CombinationRunner runner;

        public Builder scenarios(Scenario... s) {
            scenarios.addAll(List.of(s));
            return this;
        }

        /** Canned scenarios by name; an unknown one is refused, listing the canned ones. */
        public Builder scenarios(String... names) {
            for (String n : names) {
                scenarios.add(Scenarios.byName(n.strip()));
            }
            return this;
        }

        /** Presets by name ({@code jktstr topo}); an unknown one is refused, listing the valid ones. */
        public Builder presets(String... names) {
            for (String n : names) {
                TopologyPreset p;
                try {
                    p = TopologyPreset.named(n.strip());
                } catch (RuntimeException e) {
                    throw new InvalidScenarioException("--presets", e.getMessage());
                }
                topologies.add(new Topo(p.name(), p.topology(), p.memoryPerNodeMib()));
            }
            return this;
        }

        /** A topology that is not a preset, labelled N,L,C,T in the index; 512 MiB per node unless {@link #memoryPerNodeMib}. */
        public Builder topology(Topology t) {
            topologies.add(new Topo(t.toString(), t, 512));
            return this;
        }

        public Builder schedulers(Scheduler... s) {
            schedulers.addAll(List.of(s));
            return this;
        }

        /** A kernel directory or image; several make a kernel axis. None: the standard lookup. */
        public Builder kernel(Path dirOrImage) {
            try {
                var image = KernelLookup.resolve(dirOrImage.toString());
                kernels.add(new KernelChoice(KernelRelease.of(image.image()), Optional.of(dirOrImage)));
            } catch (RuntimeException e) {
                throw new InvalidScenarioException("--kernel", e.getMessage());
            }
            return this;
        }

        /** A kernel under a given label, resolved only when a VM boots (tests with fake runners). */
        Builder kernel(String label, Path dirOrImage) {
            kernels.add(new KernelChoice(label, Optional.of(dirOrImage)));
            return this;
        }

        public Builder duration(Duration d) {
            duration = d;
            return this;
        }

        /** RAM per NUMA node for every VM (default: each preset's, 512 MiB for other topologies). */
        public Builder memoryPerNodeMib(long mib) {
            memoryPerNodeMib = mib;
            return this;
        }

        public Builder shard(Shard s) {
            shard = s;
            return this;
        }

        /** How many VMs at once (default {@link Budget#forHost}). */
        public Builder budget(Budget b) {
            budget = b;
            return this;
        }

        /** The vCPU budget instead of the host's ({@code --vcpus}); no floor of VMs then. */
        public Builder vcpuBudget(int n) {
            vcpuBudget = n;
            return this;
        }

        /** The memory budget in MiB instead of MemAvailable less a margin ({@code --memory-budget}). */
        public Builder memoryBudget(long mib) {
            memoryBudget = mib;
            return this;
        }

        /** At most this many VMs at once ({@code --max-vms}; 1: one after another). */
        public Builder maxVms(int n) {
            maxVms = n;
            return this;
        }

        /** The host's cores and memory (default: detected). */
        public Builder host(HostResources h) {
            host = h;
            return this;
        }

        public Builder resultsDir(Path dir) {
            resultsDir = dir;
            return this;
        }

        public Builder backend(String name) {
            backend = name == null || name.isEmpty() ? null : name;
            return this;
        }

        public Builder commandLine(String extra) {
            commandLine = extra;
            return this;
        }

        /**
         * Start each VM from the snapshot of its configuration (one per topology and memory, shared by every scenario and
         * scheduler; the first boots cold and saves it); default off unless {@code JKTSTR_SNAPSHOT=1} or
         * {@code -Djktstr.snapshot=true}.
         */
        public Builder snapshot(boolean use) {
            snapshot = use;
            return this;
        }

        public Builder bootTimeout(Duration d) {
            bootTimeout = d;
            return this;
        }

        public Builder listener(GauntletListener l) {
            listener = l == null ? GauntletListener.NONE : l;
            return this;
        }

        /** What runs one combination (default: a VM per combination, {@link VmCombinationRunner}). */
        public Builder runner(CombinationRunner r) {
            runner = r;
            return this;
        }

        public Gauntlet build() {
            return new Gauntlet(this);
        }

        public GauntletResult run() {
            return build().run();
        }
    }
}
