package dev.jktstr.guest;

/**
 * The work a guest worker process does; the numbers are the agent's wire ids (workers.h). What
 * {@link WorkerRequest#param1()} and {@code param2()} mean depends on the type; 0 picks the default.
 */
public enum WorkloadType {
    /** Busy loop; an iteration is one short spin. */
    SPIN_WAIT(1),
    /** Short spin (param1 loops, default 200) then sched_yield. */
    YIELD_HEAVY(2),
    /** Spin, with a yield every 16 and a 200 µs sleep every 64 iterations. */
    MIXED(3),
    /** param1 ms busy (default 20), param2 ms asleep (default 20). */
    BURSTY(4),
    /** Pairs pass a token over pipes; wake latency = token send to receipt. param1: spin loops per hop. */
    PIPE_IO(5),
    /** Pairs pass a token through futexes; wake latency as for PIPE_IO. */
    FUTEX_PING_PONG(6),
    /** Sleeps param1 µs (default 1000); wake latency = the oversleep. */
    TIMER_LATENCY(7),
    /** Writes param1 KiB (default 4) and fsyncs, repeatedly. */
    IO_SYNC(8),
    /** Strided writes over a param1 KiB buffer (default 4096). */
    CACHE_PRESSURE(9),
    /** One token around the whole group over pipes. */
    WAKE_CHAIN(10),
    /** Forks a child that exits at once, and waits for it. */
    FORK_EXIT(11),
    /** Spins, hopping to a random allowed CPU every param1 iterations (default 8). */
    AFFINITY_CHURN(12),
    /** Spins, stepping its nice 0..19..0 every param1 iterations (default 64). */
    NICE_SWEEP(13),
    /** The {@link WorkerRequest#phases()} in turn, each for its time, until stopped. */
    SEQUENCE(14);

    final int wireId;

    /** Whether this type can be a phase of a {@link #SEQUENCE} (types with partners cannot). */
    public boolean canBePhase() {
        return this != SEQUENCE && this != PIPE_IO && this != WAKE_CHAIN && this != FUTEX_PING_PONG;
    }

    WorkloadType(int wireId) {
        this.wireId = wireId;
    }
}
