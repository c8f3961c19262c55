package dev.jktstr.introspect;

/**
 * What a snapshot reads beyond every CPU's runqueue and sched_ext's global state.
 *
 * @param dsqs dispatch queues (local, global and the scheduler's own)
 * @param maps BPF maps through map_idr; {@code mapValues} adds their values
 * @param tasks every task; {@code threads} adds non-leader threads
 */
public record SnapshotOptions(boolean dsqs, boolean maps, boolean mapValues, boolean tasks, boolean threads) {
    /** Runqueues and sched_ext state only: the cheap snapshot a sampler or benchmark takes. */
    public static final SnapshotOptions SCHEDULER = new SnapshotOptions(false, false, false, false, false);
    /** Everything, threads included. */
    public static final SnapshotOptions FULL = new SnapshotOptions(true, true, true, true, true);
    /** Runqueues, sched_ext state, DSQs and BPF maps with values, no tasks. */
    public static final SnapshotOptions SCHEDULER_AND_MAPS = new SnapshotOptions(true, true, true, false, false);
}
