package dev.jktstr.scenario;

import dev.jktstr.guest.WorkloadType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Every work type by ktstr's PascalCase name with one line on what it does ({@code jktstr run --list-work-types}
 * prints this). The switch is exhaustive, so a new {@link WorkloadType} does not compile until it is described here.
 */
public final class WorkTypeCatalog {
    /** One listed type. */
    public record Entry(String name, String description) {}

    private WorkTypeCatalog() {
    }

    /** All types, in wire order. */
    public static List<Entry> all() {
        return Arrays.stream(WorkloadType.values()).map(k -> new Entry(name(k), description(k))).toList();
    }

    /** SPIN_WAIT → SpinWait. */
    public static String name(WorkloadType kind) {
        StringBuilder b = new StringBuilder();
        for (String part : kind.name().split("_")) {
            b.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
        }
        return b.toString();
    }

    public static String description(WorkloadType kind) {
        return switch (kind) {
            case SPIN_WAIT -> "busy loop: pure CPU demand";
            case YIELD_HEAVY -> "short spins, each ended by sched_yield";
            case MIXED -> "spins with a yield every 16 and a 200 us sleep every 64 iterations";
            case BURSTY -> "busy for a while, asleep for a while, in turn (default 20 ms / 20 ms)";
            case PIPE_IO -> "pairs pass a token over pipes; wake latency per hop";
            case FUTEX_PING_PONG -> "pairs pass a token through futexes; wake latency per hop";
            case TIMER_LATENCY -> "sleeps to absolute deadlines; wake latency = how late each wake-up is";
            case IO_SYNC -> "writes 4 KiB and fsyncs, again and again (guest tmpfs)";
            case CACHE_PRESSURE -> "strided writes over a 4 MiB buffer: cache and memory bandwidth";
            case WAKE_CHAIN -> "a token along chains of workers (depth, pipe or futex, work per hop)";
            case FORK_EXIT -> "forks a child that exits at once, and reaps it";
            case AFFINITY_CHURN -> "spins, hopping to a random allowed CPU every few iterations";
            case NICE_SWEEP -> "spins, sweeping its nice -20..19..-20";
            case SEQUENCE -> "phases of other types in turn, each for its time";
            case IDLE_CHURN -> "50 us bursts and 200 us sleeps: CPUs in and out of idle";
            case ALU_HOT -> "independent multiply-add chains: the integer units, not memory";
            case SMT_SIBLING_SPIN -> "worker pairs spin on the two threads of one SMT core (needs SMT)";
            case IPC_VARIANCE -> "high-IPC ALU phases and memory-stalled pointer chasing, in turn";
            case CACHE_YIELD -> "a strided cache pass, then sched_yield";
            case CACHE_PIPE -> "pipe pairs that touch a cache footprint per hop";
            case FUTEX_FAN_OUT -> "a messenger wakes 4 receivers by futex and waits for them";
            case FAN_OUT_COMPUTE -> "a messenger wakes 4 receivers, each computes over 256 KiB";
            case ASYMMETRIC_WAKER -> "futex pairs whose waker and wakee run in different scheduling classes";
            case EPOLL_STORM -> "producers write eventfds that every consumer's epoll watches";
            case THUNDERING_HERD -> "one futex wakes the whole group at once every 5 ms";
            case MUTEX_CONTENTION -> "every worker fights for one futex mutex; latency = wait for it";
            case PRIORITY_INVERSION -> "low holds a lock high needs while medium spins (optionally a PI futex)";
            case PRODUCER_CONSUMER_IMBALANCE -> "rate-limited producers feed a queue drained by the rest";
            case RT_STARVATION -> "SCHED_FIFO hogs beside normal spinners (their gaps show the starvation)";
            case PREEMPT_STORM -> "SCHED_FIFO workers wake every 200 us to preempt normal spinners";
            case SIGNAL_STORM -> "pairs signal each other as fast as they can; latency = delivery";
            case CROSS_AFFINITY_CHURN -> "spins, hopping to a CPU of another LLC (needs 2 LLCs)";
            case POLICY_CHURN -> "spins, cycling normal, batch, idle, FIFO and RR";
            case NUMA_MIGRATION_CHURN -> "moves itself and its pages to another node every 20 ms (needs 2 nodes)";
            case CGROUP_CHURN -> "creates a child cgroup, moves in, moves out, removes it, again";
            case CGROUP_ATTACH_STORM -> "moves itself between child cgroups as fast as it can";
            case PAGE_FAULT_CHURN -> "touches random pages of a region, then drops them: endless minor faults";
            case NUMA_WORKING_SET_SWEEP -> "binds its working set to node after node and sweeps it (needs 2 nodes)";
            case NET_TRAFFIC -> "pairs exchange messages over TCP on the guest's loopback";
            case IRQ_WAKE -> "wakes from a periodic timerfd (hrtimer interrupt); latency after the expiry";
            case SCHBENCH -> "schbench's pattern: message and worker threads, wakeup and request latency";
            case TAOBENCH -> "taobench's pattern: read-mostly cache requests, writes under a shared lock";
            case IO_SYNC_WRITE -> "O_DIRECT writes + fdatasync on the scratch disk; latency per I/O";
            case IO_RAND_READ -> "O_DIRECT random reads on the scratch disk; latency per I/O";
            case IO_CONVOY -> "large streaming writes with small sync reads queued behind them";
            case CUSTOM -> "your static x86-64 binary as the worker body, with its schedstat as telemetry";
        };
    }
}
