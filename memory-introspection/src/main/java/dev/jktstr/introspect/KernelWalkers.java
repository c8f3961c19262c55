package dev.jktstr.introspect;

import java.util.List;

/**
 * The walkers over one {@link KernelView}, sharing one snapshot budget: runqueues ({@link RunqueueWalker}),
 * tasks ({@link TaskWalker}), sched_ext state ({@link ScxWalker}), dispatch queues ({@link DsqWalker}) and BPF
 * maps ({@link BpfMapWalker}) and programs ({@link BpfProgWalker}). What {@link Introspector#paused} hands its callers. Every loop over
 * guest-controlled structures is bounded; every field is read on its own, so a corrupted kernel yields partial
 * results with a {@link FieldError} per failed field.
 */
public final class KernelWalkers {
    private final KernelView view;
    private final IntrospectionLimits limits;
    /** What the current snapshot may still spend; reset by {@link #beginSnapshot()}. */
    private final SnapshotBudget budget;
    private final MapBtfCache mapBtfs;
    private final RunqueueWalker runqueues;
    private final TaskWalker tasks;
    private final ScxWalker scx;
    private final DsqWalker dsqs;
    private final BpfMapWalker maps;
    private final BpfProgWalker progs;

    public KernelWalkers(KernelView view) {
        this(view, IntrospectionLimits.DEFAULT.withMaxCpus(view.perCpu().cpuLimit()));
    }

    /** Walkers spending at most {@code limits} per snapshot; CPU ids are capped at {@code limits.maxCpus()}. */
    public KernelWalkers(KernelView view, IntrospectionLimits limits) {
        this.view = view;
        this.limits = limits;
        this.budget = new SnapshotBudget(limits);
        view.perCpu().limitCpus(limits.maxCpus());
        this.mapBtfs = new MapBtfCache(view, budget, limits.btfCacheBytes());
        this.runqueues = new RunqueueWalker(view);
        this.tasks = new TaskWalker(view, budget);
        this.scx = new ScxWalker(view);
        this.dsqs = new DsqWalker(view, budget);
        this.maps = new BpfMapWalker(view, budget, mapBtfs);
        this.progs = new BpfProgWalker(view, budget);
    }

    public IntrospectionLimits limits() {
        return limits;
    }

    /** Starts a new snapshot's byte and node budget. */
    public void beginSnapshot() {
        budget.reset();
    }

    /** Bytes read from guest memory into the host since {@link #beginSnapshot()} (charged before each read). */
    public long snapshotBytesUsed() {
        return budget.bytesUsed();
    }

    /** Linked nodes visited since {@link #beginSnapshot()}. */
    public long snapshotNodesUsed() {
        return budget.nodesUsed();
    }

    /** Raw bytes of map BTF held in the cache now. */
    public long cachedBtfBytes() {
        return mapBtfs.bytes();
    }

    public KernelView view() {
        return view;
    }

    /** Every online CPU's runqueue. */
    public List<RunqueueState> runqueues(List<FieldError> errors) {
        return runqueues.runqueues(errors);
    }

    public RunqueueState runqueue(int cpu) {
        return runqueues.runqueue(cpu);
    }

    /**
     * Every task: thread-group leaders from {@code init_task.tasks}, and with {@code threads} each
     * leader's other threads from {@code signal->thread_head}. The idle tasks (pid 0) are not listed,
     * as in /proc.
     */
    public List<TaskInfo> tasks(boolean threads, List<FieldError> errors) {
        return tasks.tasks(threads, errors);
    }

    /** One task_struct decoded. */
    public TaskInfo task(GuestObject t) {
        return tasks.task(t);
    }

    public SchedExtState schedExt() {
        return scx.state();
    }

    /** Local DSQs of online CPUs, the per-node global DSQs and the scheduler's own DSQs ({@code dsq_hash}). */
    public List<DsqState> dsqs(List<FieldError> errors) {
        return dsqs.dsqs(errors);
    }

    /** Every BPF map in {@code map_idr}, with values for ARRAY, PERCPU_ARRAY and HASH maps. */
    public List<BpfMapState> bpfMaps(boolean withValues, List<FieldError> errors) {
        return maps.maps(withValues, errors);
    }

    /** Every BPF program in {@code prog_idr}: identity, sizes, verified instructions, run statistics. */
    public List<BpfProgState> bpfProgs(List<FieldError> errors) {
        return progs.progs(errors);
    }

    /** Whether {@code kernel.bpf_stats_enabled} is on, so program run counts and times grow. */
    public boolean bpfStatsEnabled() {
        return progs.statsEnabled();
    }
}
