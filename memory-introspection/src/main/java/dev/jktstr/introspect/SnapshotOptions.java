package dev.jktstr.introspect;

/**
 * What a snapshot reads beyond every CPU's runqueue and sched_ext's global state.
 *
 * @param dsqs dispatch queues (local, global and the scheduler's own)
 * @param maps BPF maps through map_idr; {@code mapValues} adds their values
 * @param progs BPF programs through prog_idr (names, verified instructions, sizes, run statistics)
 * @param tasks every task; {@code threads} adds non-leader threads
 */
public record SnapshotOptions(boolean dsqs, boolean maps, boolean mapValues, boolean progs, boolean tasks,
                              boolean threads) {
    /** The options before programs were walked: programs come with maps. */
    public SnapshotOptions(boolean dsqs, boolean maps, boolean mapValues, boolean tasks, boolean threads) {
        this(dsqs, maps, mapValues, maps, tasks, threads);
    }

    /** Runqueues and sched_ext state only: the cheap snapshot a sampler or benchmark takes. */
    public static final SnapshotOptions SCHEDULER = new SnapshotOptions(false, false, false, false, false);
    /** Everything, threads included. */
    public static final SnapshotOptions FULL = new SnapshotOptions(true, true, true, true, true);
    /** Runqueues, sched_ext state, DSQs, BPF maps with values and BPF programs, no tasks. */
    public static final SnapshotOptions SCHEDULER_AND_MAPS = new SnapshotOptions(true, true, true, false, false);

    /** These options with BPF programs walked or not. */
    public SnapshotOptions withProgs(boolean walk) {
        return new SnapshotOptions(dsqs, maps, mapValues, walk, tasks, threads);
    }
}
