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
    /** Sleeps to absolute deadlines every param1 µs (default 1000); wake latency = how late each wake-up is. */
    TIMER_LATENCY(AgentH.AGENT_WORK_TIMER_LATENCY),
    /** Writes param1 KiB (default 4) and fsyncs, repeatedly. */
    IO_SYNC(AgentH.AGENT_WORK_IO_SYNC),
    /** Strided writes over a param1 KiB buffer (default 4096). */
    CACHE_PRESSURE(AgentH.AGENT_WORK_CACHE_PRESSURE),
    /**
     * A token passed along chains of workers. param1: spin loops per hop (default 500); param2: the chain depth in its
     * low 16 bits (0 = the whole group), {@link #WAKE_CHAIN_FUTEX} to pass it through futexes instead of pipes.
     */
    WAKE_CHAIN(AgentH.AGENT_WORK_WAKE_CHAIN),
    /** Forks a child that exits at once, and waits for it. */
    FORK_EXIT(AgentH.AGENT_WORK_FORK_EXIT),
    /** Spins, hopping to a random allowed CPU every param1 iterations (default 8). */
    AFFINITY_CHURN(AgentH.AGENT_WORK_AFFINITY_CHURN),
    /** Spins, stepping its nice -20..19..-20 every param1 iterations (default 64), with RLIMIT_NICE raised for it. */
    NICE_SWEEP(AgentH.AGENT_WORK_NICE_SWEEP),
    /** The {@link WorkerRequest#phases()} in turn, each for its time, until stopped. */
    SEQUENCE(AgentH.AGENT_WORK_SEQUENCE),
    /** param1 µs busy (default 50), param2 µs asleep to an absolute deadline (default 200); wake latency = lateness. */
    IDLE_CHURN(AgentH.AGENT_WORK_IDLE_CHURN),
    /** param1 independent multiply-add chains (1..8, default 4) kept busy: the integer units, not memory. */
    ALU_HOT(AgentH.AGENT_WORK_ALU_HOT),
    /** Workers 2k and 2k+1 pinned to the two threads of one SMT core, spinning. */
    SMT_SIBLING_SPIN(AgentH.AGENT_WORK_SMT_SIBLING_SPIN),
    /** param1 batches of ALU work (default 64), then param2 batches of dependent loads over 8 MiB (default 64), in turn. */
    IPC_VARIANCE(AgentH.AGENT_WORK_IPC_VARIANCE),
    /** 1024 strided writes over param1 KiB (default 1024, stride param2 bytes, default 4160), then sched_yield. */
    CACHE_YIELD(AgentH.AGENT_WORK_CACHE_YIELD),
    /** Pairs pass a token over pipes and touch param2 cache lines (default 1024) of a param1 KiB buffer (default 256) per hop. */
    CACHE_PIPE(AgentH.AGENT_WORK_CACHE_PIPE),
    /** Groups of param1 + 1 (default 4 + 1): a messenger wakes its receivers by futex, each spins param2 loops (default 500). */
    FUTEX_FAN_OUT(AgentH.AGENT_WORK_FUTEX_FAN_OUT),
    /** As FUTEX_FAN_OUT, but each receiver computes over param2 KiB of its own memory (default 256). */
    FAN_OUT_COMPUTE(AgentH.AGENT_WORK_FAN_OUT_COMPUTE),
    /** Futex pairs whose waker and wakee run in different classes: param2 = waker class | wakee class &lt;&lt; 8. */
    ASYMMETRIC_WAKER(AgentH.AGENT_WORK_ASYMMETRIC_WAKER),
    /** The first param1 workers (default 1) write bursts of param2 events (default 16) to eventfds every consumer polls. */
    EPOLL_STORM(AgentH.AGENT_WORK_EPOLL_STORM),
    /** Worker 0 wakes all the others through one futex every param1 µs (default 5000); each spins param2 loops. */
    THUNDERING_HERD(AgentH.AGENT_WORK_THUNDERING_HERD),
    /** Every worker takes one futex mutex, holds it param1 loops (default 2000), works param2 loops (default 5000). */
    MUTEX_CONTENTION(AgentH.AGENT_WORK_MUTEX_CONTENTION),
    /** Worker 0 low (nice 19) holds a lock param1 loops; mediums spin; highs (nice -20) wait for it. param2 = 1: PI futex. */
    PRIORITY_INVERSION(AgentH.AGENT_WORK_PRIORITY_INVERSION),
    /** The first param1 workers (default 1) produce param2 items/s each (default 2000); the rest consume. */
    PRODUCER_CONSUMER_IMBALANCE(AgentH.AGENT_WORK_PRODUCER_CONSUMER_IMBALANCE),
    /** The first param1 workers (default 1) run SCHED_FIFO at priority param2 (default 50), 5 ms on, 1 ms off. */
    RT_STARVATION(AgentH.AGENT_WORK_RT_STARVATION),
    /** Even workers are SCHED_FIFO, waking every param1 µs (default 200) for param2 loops; odd workers spin. */
    PREEMPT_STORM(AgentH.AGENT_WORK_PREEMPT_STORM),
    /** Pairs send each other param1 SIGUSR1s (default 4) per param2 spin loops (default 2000); latency = delivery. */
    SIGNAL_STORM(AgentH.AGENT_WORK_SIGNAL_STORM),
    /** Spins, hopping to a CPU of another LLC every param1 iterations (default 8). */
    CROSS_AFFINITY_CHURN(AgentH.AGENT_WORK_CROSS_AFFINITY_CHURN),
    /** Spins, cycling normal, batch, idle, FIFO and RR every param1 iterations (default 64). */
    POLICY_CHURN(AgentH.AGENT_WORK_POLICY_CHURN),
    /** Sweeps 1 MiB, moving itself and its pages to the next NUMA node every param1 ms (default 20). */
    NUMA_MIGRATION_CHURN(AgentH.AGENT_WORK_NUMA_MIGRATION_CHURN),
    /** Creates one of param1 child cgroups (default 4), lives in it param2 ms (default 10), leaves and removes it. */
    CGROUP_CHURN(AgentH.AGENT_WORK_CGROUP_CHURN),
    /** Moves itself between param1 child cgroups (default 2) every param2 spin loops (default 2000). */
    CGROUP_ATTACH_STORM(AgentH.AGENT_WORK_CGROUP_ATTACH_STORM),
    /** Touches param2 random pages (default 256) of a param1 KiB region (default 4096), then drops them all. */
    PAGE_FAULT_CHURN(AgentH.AGENT_WORK_PAGE_FAULT_CHURN),
    /** Binds a param1 KiB working set (default 4096) to the next NUMA node every param2 ms (default 50) and sweeps it. */
    NUMA_WORKING_SET_SWEEP(AgentH.AGENT_WORK_NUMA_WORKING_SET_SWEEP),
    /** Pairs exchange param1-byte messages (default 1024) over TCP on the guest's loopback. */
    NET_TRAFFIC(AgentH.AGENT_WORK_NET_TRAFFIC),
    /** Wakes from a periodic timerfd every param1 µs (default 500), spins param2 loops; latency = after the expiry. */
    IRQ_WAKE(AgentH.AGENT_WORK_IRQ_WAKE),
    /** schbench's pattern: a message worker wakes param1 workers (default 4), each thinks param2 µs (default 50). */
    SCHBENCH(AgentH.AGENT_WORK_SCHBENCH),
    /** taobench's pattern: param1 % reads (default 90) of a cache, writes under a shared lock, param2 µs waits (default 50). */
    TAOBENCH(AgentH.AGENT_WORK_TAOBENCH),
    /** O_DIRECT writes of param1 KiB (default 4) to the scratch disk (/dev/vda), each followed by fdatasync. */
    IO_SYNC_WRITE(AgentH.AGENT_WORK_IO_SYNC_WRITE),
    /** O_DIRECT reads of param1 KiB (default 4) at random offsets of the scratch disk. */
    IO_RAND_READ(AgentH.AGENT_WORK_IO_RAND_READ),
    /** Even workers stream param1 KiB writes (default 1024), odd ones issue param2 KiB reads (default 4) behind them. */
    IO_CONVOY(AgentH.AGENT_WORK_IO_CONVOY),
    /** Runs {@link WorkerRequest#execPath()} (a static binary in the guest) as the body, again whenever it exits. */
    CUSTOM(AgentH.AGENT_WORK_CUSTOM);

    /** {@link #WAKE_CHAIN}'s param2 flag for futexes instead of pipes. */
    public static final int WAKE_CHAIN_FUTEX = AgentH.AGENT_WAKE_CHAIN_FUTEX;

    final int wireId;

    /** Whether workers of this type need the guest's scratch disk (/dev/vda). */
    public boolean needsDisk() {
        return this == IO_SYNC_WRITE || this == IO_RAND_READ || this == IO_CONVOY;
    }

    /** Whether this type can be a phase of a {@link #SEQUENCE} (types with partners cannot). */
    public boolean canBePhase() {
        // Mirrors phase_type_ok in workers.c: solo types only (a phase ends on its own clock, so no partners).
        return switch (this) {
            case SPIN_WAIT, YIELD_HEAVY, MIXED, BURSTY, TIMER_LATENCY, IO_SYNC, CACHE_PRESSURE, FORK_EXIT, AFFINITY_CHURN,
                    NICE_SWEEP, IDLE_CHURN, ALU_HOT, IPC_VARIANCE, CACHE_YIELD, CROSS_AFFINITY_CHURN, PAGE_FAULT_CHURN,
                    IRQ_WAKE -> true;
            default -> false;
        };
    }

    WorkloadType(int wireId) {
        this.wireId = wireId;
    }
}
