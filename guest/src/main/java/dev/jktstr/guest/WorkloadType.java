package dev.jktstr.guest;

import dev.jktstr.bindings.agent.AgentH;

/**
 * The work a guest worker process does; the numbers are the agent's wire ids (agent_protocol.h, through the
 * generated {@link AgentH}). What {@link WorkerRequest#param1()} and {@code param2()} mean depends on the type;
 * 0 picks the default.
 */
public enum WorkloadType {
    /** Busy loop; an iteration is one short spin. */
    SPIN_WAIT(AgentH.AGENT_WORK_SPIN_WAIT),
    /** Short spin (param1 loops, default 200) then sched_yield. */
    YIELD_HEAVY(AgentH.AGENT_WORK_YIELD_HEAVY),
    /** Spin, with a yield every 16 and a 200 µs sleep every 64 iterations. */
    MIXED(AgentH.AGENT_WORK_MIXED),
    /** param1 ms busy (default 20), param2 ms asleep (default 20). */
    BURSTY(AgentH.AGENT_WORK_BURSTY),
    /** Pairs pass a token over pipes; wake latency = token send to receipt. param1: spin loops per hop. */
    PIPE_IO(AgentH.AGENT_WORK_PIPE_IO),
    /** Pairs pass a token through futexes; wake latency as for PIPE_IO. */
    FUTEX_PING_PONG(AgentH.AGENT_WORK_FUTEX_PING_PONG),
    /** Sleeps param1 µs (default 1000); wake latency = the oversleep. */
    TIMER_LATENCY(AgentH.AGENT_WORK_TIMER_LATENCY),
    /** Writes param1 KiB (default 4) and fsyncs, repeatedly. */
    IO_SYNC(AgentH.AGENT_WORK_IO_SYNC),
    /** Strided writes over a param1 KiB buffer (default 4096). */
    CACHE_PRESSURE(AgentH.AGENT_WORK_CACHE_PRESSURE),
    /** One token around the whole group over pipes. */
    WAKE_CHAIN(AgentH.AGENT_WORK_WAKE_CHAIN),
    /** Forks a child that exits at once, and waits for it. */
    FORK_EXIT(AgentH.AGENT_WORK_FORK_EXIT),
    /** Spins, hopping to a random allowed CPU every param1 iterations (default 8). */
    AFFINITY_CHURN(AgentH.AGENT_WORK_AFFINITY_CHURN),
    /** Spins, stepping its nice 0..19..0 every param1 iterations (default 64). */
    NICE_SWEEP(AgentH.AGENT_WORK_NICE_SWEEP),
    /** The {@link WorkerRequest#phases()} in turn, each for its time, until stopped. */
    SEQUENCE(AgentH.AGENT_WORK_SEQUENCE);

    final int wireId;

    /** Whether this type can be a phase of a {@link #SEQUENCE} (types with partners cannot). */
    public boolean canBePhase() {
        return this != SEQUENCE && this != PIPE_IO && this != WAKE_CHAIN && this != FUTEX_PING_PONG;
    }

    WorkloadType(int wireId) {
        this.wireId = wireId;
    }
}
