package dev.jktstr.scenario;

import static dev.jktstr.scenario.WorkParams.micros;
import static dev.jktstr.scenario.WorkParams.within;

import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.guest.WorkloadType;
import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What each worker of a cgroup does. Made by the factories, named after ktstr's work types in lowerCamelCase
 * ({@code WorkType.spinWait()}, {@code WorkType.thunderingHerd(...)}); each has a no-argument form with the defaults
 * its javadoc gives. The guest runs it (see {@link WorkloadType} for the loops). Types whose workers meet (pairs,
 * fan-outs, herds, locks) form their groups from the workers of one cgroup, in order: worker roles are by index, as
 * each factory says. {@link WorkTypeCatalog} lists every type with one line; {@link #checkTopology} rejects a type the
 * VM's topology cannot serve, before anything boots.
 */
public record WorkType(WorkloadType kind, int param1, int param2, List<Phase> phases, Optional<Path> binary) {

    /** The largest {@link #custom} binary copied into a guest. */
    static final long MAX_CUSTOM_BYTES = GuestBinary.MAX_BYTES;

    /** One phase of a {@link #sequence}: a work type for a time. */
    public record Phase(WorkType work, Duration duration) {}

    public WorkType {
        Objects.requireNonNull(kind, "kind");
        if (param1 < 0 || param2 < 0) {
            throw new InvalidScenarioException("work", kind + " parameters must not be negative");
        }
        phases = List.copyOf(phases);
        binary = binary == null ? Optional.empty() : binary;
        if ((kind == WorkloadType.CUSTOM) != binary.isPresent()) {
            throw new InvalidScenarioException("work", "a binary goes with Custom and only with it (WorkType.custom(path))");
        }
        binary.ifPresent(WorkType::checkCustomBinary);
        if (kind == WorkloadType.SEQUENCE && (phases.isEmpty() || phases.size() > WorkerRequest.MAX_PHASES)) {
            throw new InvalidScenarioException("work.phases", "a sequence needs 1.." + WorkerRequest.MAX_PHASES
                    + " phases, got " + phases.size());
        }
        for (int i = 0; i < phases.size(); i++) {
            Phase p = phases.get(i);
            if (p.work() == null || !p.work().kind().canBePhase()) {
                throw new InvalidScenarioException("work.phases[" + i + "]", (p.work() == null ? "missing" : p.work().kind())
                        + " cannot be a phase (partner and sequence types cannot)");
            }
            if (p.duration() == null || p.duration().toMillis() < 1 || p.duration().toMillis() > Integer.MAX_VALUE) {
                throw new InvalidScenarioException("work.phases[" + i + "].duration", "must be between 1 ms and 24 days, got "
                        + p.duration());
            }
        }
    }

    public WorkType(WorkloadType kind, int param1, int param2) {
        this(kind, param1, param2, List.of(), Optional.empty());
    }

    public WorkType(WorkloadType kind, int param1, int param2, List<Phase> phases) {
        this(kind, param1, param2, phases, Optional.empty());
    }

    /**
     * A user's program as the worker body: {@code binary} (a statically linked x86-64 ELF: the guest has no dynamic
     * loader or libraries) is copied into the guest and each worker runs it, again whenever it exits, until the run
     * stops. The workers' telemetry is the program's schedstat (CPU time, run delay, timeslices); a work unit is a
     * millisecond of its CPU time. Anything else is rejected here, before boot, saying what the file is.
     */
    public static WorkType custom(Path binary) {
        return new WorkType(WorkloadType.CUSTOM, 0, 0, List.of(), Optional.of(binary));
    }

    /** Where a {@link #custom} binary lives in the guest. */
    String guestBinaryPath() {
        return "/bin/jktstr-custom-" + binary.orElseThrow().getFileName();
    }

    private static void checkCustomBinary(Path file) {
        GuestBinary.check(file, "work.binary", "binary", MAX_CUSTOM_BYTES);
    }

    /** The phases in turn, each for its time, until the run stops: {@code sequence(phase(spinWait(), 100ms), ...)}. */
    public static WorkType sequence(Phase... phases) {
        return new WorkType(WorkloadType.SEQUENCE, 0, 0, List.of(phases));
    }

    public static Phase phase(WorkType work, Duration duration) {
        return new Phase(work, duration);
    }

    /** The guest's form of the phases. */
    List<WorkerRequest.Phase> guestPhases() {
        return phases.stream().map(p -> new WorkerRequest.Phase(p.work().kind(), p.work().param1(), p.work().param2(),
                p.duration())).toList();
    }

    public static WorkType spinWait() {
        return new WorkType(WorkloadType.SPIN_WAIT, 0, 0);
    }

    public static WorkType yieldHeavy() {
        return new WorkType(WorkloadType.YIELD_HEAVY, 0, 0);
    }

    public static WorkType mixed() {
        return new WorkType(WorkloadType.MIXED, 0, 0);
    }

    /** Busy for {@code busy}, asleep for {@code sleep}, in turn (millisecond resolution). */
    public static WorkType bursty(Duration busy, Duration sleep) {
        return new WorkType(WorkloadType.BURSTY, millis("work.busy", busy), millis("work.sleep", sleep));
    }

    public static WorkType bursty() {
        return new WorkType(WorkloadType.BURSTY, 0, 0);
    }

    public static WorkType pipeIo() {
        return new WorkType(WorkloadType.PIPE_IO, 0, 0);
    }

    public static WorkType futexPingPong() {
        return new WorkType(WorkloadType.FUTEX_PING_PONG, 0, 0);
    }

    /** Sleeps to absolute deadlines {@code period} apart (default 1 ms); how late each wake-up is, is the wake latency. */
    public static WorkType timerLatency(Duration period) {
        long us = period.toNanos() / 1000;
        if (us < 1 || us > Integer.MAX_VALUE) {
            throw new InvalidScenarioException("work.period", "must be between 1 µs and 35 minutes: " + period);
        }
        return new WorkType(WorkloadType.TIMER_LATENCY, (int) us, 0);
    }

    public static WorkType timerLatency() {
        return new WorkType(WorkloadType.TIMER_LATENCY, 0, 0);
    }

    public static WorkType ioSync() {
        return new WorkType(WorkloadType.IO_SYNC, 0, 0);
    }

    /** Strided writes over a buffer of {@code kib} KiB. */
    public static WorkType cachePressure(int kib) {
        if (kib < 1) {
            throw new InvalidScenarioException("work.kib", "must be at least 1: " + kib);
        }
        return new WorkType(WorkloadType.CACHE_PRESSURE, kib, 0);
    }

    /** One token around the whole group over pipes, 500 spin loops per hop: {@code wakeChain(0, PIPE, 500)}. */
    public static WorkType wakeChain() {
        return new WorkType(WorkloadType.WAKE_CHAIN, 0, 0);
    }

    /**
     * Chains of {@code depth} workers (0 = the whole cgroup; a last shorter chain takes the rest) pass a token, each
     * spinning {@code workPerHop} loops before passing it on; wake latency = token sent to received.
     */
    public static WorkType wakeChain(int depth, WakeMechanism wake, int workPerHop) {
        within("depth", depth, 0, WorkerRequest.MAX_WORKERS);
        within("workPerHop", workPerHop, 1, 100_000_000);
        int mech = wake == WakeMechanism.FUTEX ? WorkloadType.WAKE_CHAIN_FUTEX : 0;
        return new WorkType(WorkloadType.WAKE_CHAIN, workPerHop, depth | mech);
    }

    public static WorkType forkExit() {
        return new WorkType(WorkloadType.FORK_EXIT, 0, 0);
    }

    public static WorkType affinityChurn() {
        return new WorkType(WorkloadType.AFFINITY_CHURN, 0, 0);
    }

    /** Spins, stepping its nice -20..19..-20 every 64 iterations (RLIMIT_NICE raised so it can climb back). */
    public static WorkType niceSweep() {
        return new WorkType(WorkloadType.NICE_SWEEP, 0, 0);
    }

    // ---- idle and compute ----

    /** Busy {@code burst}, then asleep {@code sleep} to an absolute deadline; wake latency = lateness. Defaults 50 µs / 200 µs. */
    public static WorkType idleChurn(Duration burst, Duration sleep) {
        return new WorkType(WorkloadType.IDLE_CHURN, micros("burst", burst, 1, 10_000_000), micros("sleep", sleep, 1, 10_000_000));
    }

    public static WorkType idleChurn() {
        return new WorkType(WorkloadType.IDLE_CHURN, 0, 0);
    }

    /** {@code width} independent multiply-add chains (1..8, default 4) keep the integer units busy. */
    public static WorkType aluHot(int width) {
        return new WorkType(WorkloadType.ALU_HOT, within("width", width, 1, 8), 0);
    }

    public static WorkType aluHot() {
        return new WorkType(WorkloadType.ALU_HOT, 0, 0);
    }

    /** Workers 2k and 2k+1 pinned to the two threads of one SMT core, spinning. Needs a topology with SMT. */
    public static WorkType smtSiblingSpin() {
        return new WorkType(WorkloadType.SMT_SIBLING_SPIN, 0, 0);
    }

    /** {@code hotBatches} of ALU work, then {@code coldBatches} of dependent loads over 8 MiB, in turn. Defaults 64 / 64. */
    public static WorkType ipcVariance(int hotBatches, int coldBatches) {
        return new WorkType(WorkloadType.IPC_VARIANCE, within("hotBatches", hotBatches, 1, 1_000_000),
                within("coldBatches", coldBatches, 1, 1_000_000));
    }

    public static WorkType ipcVariance() {
        return new WorkType(WorkloadType.IPC_VARIANCE, 0, 0);
    }

    /** 1024 writes {@code strideBytes} apart over {@code sizeKib}, then sched_yield. Defaults 1024 KiB, 4160 bytes. */
    public static WorkType cacheYield(int sizeKib, int strideBytes) {
        return new WorkType(WorkloadType.CACHE_YIELD, within("sizeKib", sizeKib, 1, 1 << 20), within("strideBytes", strideBytes, 1, 1 << 20));
    }

    public static WorkType cacheYield() {
        return new WorkType(WorkloadType.CACHE_YIELD, 0, 0);
    }

    /** Pairs pass a token over pipes, touching {@code linesPerHop} lines of a {@code sizeKib} buffer per hop. Defaults 256 KiB, 1024. */
    public static WorkType cachePipe(int sizeKib, int linesPerHop) {
        return new WorkType(WorkloadType.CACHE_PIPE, within("sizeKib", sizeKib, 1, 1 << 20), within("linesPerHop", linesPerHop, 1, 1 << 24));
    }

    public static WorkType cachePipe() {
        return new WorkType(WorkloadType.CACHE_PIPE, 0, 0);
    }

    // ---- wake-ups: fan-outs, herds, storms ----

    /**
     * Groups of {@code fanOut} + 1 workers: the first wakes the others by futex and waits for all; each receiver spins
     * {@code spinIters} loops. Receivers sample wake latency. Defaults 4, 500.
     */
    public static WorkType futexFanOut(int fanOut, int spinIters) {
        return new WorkType(WorkloadType.FUTEX_FAN_OUT, within("fanOut", fanOut, 1, WorkerRequest.MAX_WORKERS - 1),
                within("spinIters", spinIters, 1, 100_000_000));
    }

    public static WorkType futexFanOut() {
        return new WorkType(WorkloadType.FUTEX_FAN_OUT, 0, 0);
    }

    /** As {@link #futexFanOut(int, int)}, each receiver computing over {@code cacheFootprintKib} of its memory. Defaults 4, 256 KiB. */
    public static WorkType fanOutCompute(int fanOut, int cacheFootprintKib) {
        return new WorkType(WorkloadType.FAN_OUT_COMPUTE, within("fanOut", fanOut, 1, WorkerRequest.MAX_WORKERS - 1),
                within("cacheFootprintKib", cacheFootprintKib, 1, 1 << 20));
    }

    public static WorkType fanOutCompute() {
        return new WorkType(WorkloadType.FAN_OUT_COMPUTE, 0, 0);
    }

    /**
     * Futex pairs (2k wakes 2k+1 and back) whose waker and wakee run in different classes, {@code burstIters} spin loops
     * per hop. Defaults NORMAL, NORMAL, 500.
     */
    public static WorkType asymmetricWaker(SchedClass wakerClass, SchedClass wakeeClass, int burstIters) {
        Objects.requireNonNull(wakerClass, "wakerClass");
        Objects.requireNonNull(wakeeClass, "wakeeClass");
        return new WorkType(WorkloadType.ASYMMETRIC_WAKER, within("burstIters", burstIters, 1, 100_000_000),
                wakerClass.ordinal() | wakeeClass.ordinal() << 8);
    }

    public static WorkType asymmetricWaker() {
        return new WorkType(WorkloadType.ASYMMETRIC_WAKER, 0, 0);
    }

    /**
     * The first {@code producers} workers write bursts of {@code eventsPerBurst} to eventfds that every other worker
     * watches in its epoll set (each event wakes several; one wins). Consumers sample wake latency. Defaults 1, 16.
     */
    public static WorkType epollStorm(int producers, int eventsPerBurst) {
        return new WorkType(WorkloadType.EPOLL_STORM, within("producers", producers, 1, WorkerRequest.MAX_WORKERS - 1),
                within("eventsPerBurst", eventsPerBurst, 1, 1 << 20));
    }

    public static WorkType epollStorm() {
        return new WorkType(WorkloadType.EPOLL_STORM, 0, 0);
    }

    /** Worker 0 wakes all the others on one futex every {@code interBatch}; each spins {@code spinIters}. Defaults 5 ms, 2000. */
    public static WorkType thunderingHerd(Duration interBatch, int spinIters) {
        return new WorkType(WorkloadType.THUNDERING_HERD, micros("interBatch", interBatch, 10, 10_000_000),
                within("spinIters", spinIters, 1, 100_000_000));
    }

    public static WorkType thunderingHerd() {
        return new WorkType(WorkloadType.THUNDERING_HERD, 0, 0);
    }

    /** Wakes from a periodic timerfd (the hrtimer interrupt) every {@code period}, spins {@code workIters}. Defaults 500 µs, 500. */
    public static WorkType irqWake(Duration period, int workIters) {
        return new WorkType(WorkloadType.IRQ_WAKE, micros("period", period, 10, 10_000_000), within("workIters", workIters, 1, 100_000_000));
    }

    public static WorkType irqWake() {
        return new WorkType(WorkloadType.IRQ_WAKE, 0, 0);
    }

    /**
     * schbench's pattern: groups of 1 + {@code workersPerMessage}; the message worker wakes its workers, each thinks
     * {@code think} (busy), the message worker waits for all. Workers sample wakeup latency, the message worker the
     * request latency. Defaults 4, 50 µs.
     */
    public static WorkType schbench(int workersPerMessage, Duration think) {
        return new WorkType(WorkloadType.SCHBENCH, within("workersPerMessage", workersPerMessage, 1, WorkerRequest.MAX_WORKERS - 1),
                micros("think", think, 1, 1_000_000));
    }

    public static WorkType schbench() {
        return new WorkType(WorkloadType.SCHBENCH, 0, 0);
    }

    /**
     * taobench's pattern: requests against a cache, {@code readPct} % reads of a private 4 MiB table, the rest writes
     * under the cgroup's shared lock; a {@code networkWait} sleep every 16 requests (its lateness is sampled). Defaults 90 %, 50 µs.
     */
    public static WorkType taobench(int readPct, Duration networkWait) {
        return new WorkType(WorkloadType.TAOBENCH, within("readPct", readPct, 1, 100), micros("networkWait", networkWait, 1, 1_000_000));
    }

    public static WorkType taobench() {
        return new WorkType(WorkloadType.TAOBENCH, 0, 0);
    }

    // ---- contention ----

    /** Every worker takes one futex mutex, holds it {@code holdIters} loops, works {@code workIters}; latency = wait for it. Defaults 2000, 5000. */
    public static WorkType mutexContention(int holdIters, int workIters) {
        return new WorkType(WorkloadType.MUTEX_CONTENTION, within("holdIters", holdIters, 1, 100_000_000),
                within("workIters", workIters, 1, 100_000_000));
    }

    public static WorkType mutexContention() {
        return new WorkType(WorkloadType.MUTEX_CONTENTION, 0, 0);
    }

    /**
     * Worker 0 is low priority (nice 19) and holds a lock {@code holdIters} loops; the next (n-1)/2 are medium (nice 0,
     * spinning); the rest high (nice -20) sleep 1 ms and take the lock; their wait is sampled. {@code priorityInheritance}
     * uses a PI futex (FUTEX_LOCK_PI). Defaults 20000, false.
     */
    public static WorkType priorityInversion(int holdIters, boolean priorityInheritance) {
        return new WorkType(WorkloadType.PRIORITY_INVERSION, within("holdIters", holdIters, 1, 100_000_000), priorityInheritance ? 1 : 0);
    }

    public static WorkType priorityInversion() {
        return new WorkType(WorkloadType.PRIORITY_INVERSION, 0, 0);
    }

    /**
     * The first {@code producers} workers publish {@code produceRateHz} items/s each into one queue; the rest consume
     * (20000 spin loops per item). An item's time in the queue is its wake latency. Defaults 1, 2000 Hz.
     */
    public static WorkType producerConsumerImbalance(int producers, int produceRateHz) {
        return new WorkType(WorkloadType.PRODUCER_CONSUMER_IMBALANCE, within("producers", producers, 1, WorkerRequest.MAX_WORKERS - 1),
                within("produceRateHz", produceRateHz, 1, 1_000_000));
    }

    public static WorkType producerConsumerImbalance() {
        return new WorkType(WorkloadType.PRODUCER_CONSUMER_IMBALANCE, 0, 0);
    }

    // ---- real time, preemption, signals ----

    /** The first {@code rtWorkers} run SCHED_FIFO at {@code rtPriority}, 5 ms busy and 1 ms asleep; the rest spin. Defaults 1, 50. */
    public static WorkType rtStarvation(int rtWorkers, int rtPriority) {
        return new WorkType(WorkloadType.RT_STARVATION, within("rtWorkers", rtWorkers, 1, WorkerRequest.MAX_WORKERS - 1),
                within("rtPriority", rtPriority, 1, 99));
    }

    public static WorkType rtStarvation() {
        return new WorkType(WorkloadType.RT_STARVATION, 0, 0);
    }

    /** Even workers are SCHED_FIFO, waking every {@code rtSleep} to spin {@code rtBurstIters}; odd ones spin. Defaults 200 µs, 2000. */
    public static WorkType preemptStorm(Duration rtSleep, int rtBurstIters) {
        return new WorkType(WorkloadType.PREEMPT_STORM, micros("rtSleep", rtSleep, 10, 10_000_000),
                within("rtBurstIters", rtBurstIters, 1, 100_000_000));
    }

    public static WorkType preemptStorm() {
        return new WorkType(WorkloadType.PREEMPT_STORM, 0, 0);
    }

    /** Pairs send each other {@code signalsPerIter} SIGUSR1s per {@code workIters} spin loops; latency = delivery. Defaults 4, 2000. */
    public static WorkType signalStorm(int signalsPerIter, int workIters) {
        return new WorkType(WorkloadType.SIGNAL_STORM, within("signalsPerIter", signalsPerIter, 1, 1024),
                within("workIters", workIters, 1, 100_000_000));
    }

    public static WorkType signalStorm() {
        return new WorkType(WorkloadType.SIGNAL_STORM, 0, 0);
    }

    // ---- churn ----

    /** Spins, hopping to a CPU of another LLC every {@code spinIters} iterations (default 8). Needs 2 LLCs or more. */
    public static WorkType crossAffinityChurn(int spinIters) {
        return new WorkType(WorkloadType.CROSS_AFFINITY_CHURN, within("spinIters", spinIters, 1, 100_000_000), 0);
    }

    public static WorkType crossAffinityChurn() {
        return new WorkType(WorkloadType.CROSS_AFFINITY_CHURN, 0, 0);
    }

    /** Spins, cycling normal, batch, idle, FIFO 1 and RR 1 every {@code spinIters} iterations (default 64). */
    public static WorkType policyChurn(int spinIters) {
        return new WorkType(WorkloadType.POLICY_CHURN, within("spinIters", spinIters, 1, 100_000_000), 0);
    }

    public static WorkType policyChurn() {
        return new WorkType(WorkloadType.POLICY_CHURN, 0, 0);
    }

    /** Each cycle creates one of {@code groups} child cgroups, moves in for {@code cycle}, moves back and removes it. Defaults 4, 10 ms. */
    public static WorkType cgroupChurn(int groups, Duration cycle) {
        return new WorkType(WorkloadType.CGROUP_CHURN, within("groups", groups, 1, 64), WorkParams.millis("cycle", cycle, 1, 60_000));
    }

    public static WorkType cgroupChurn() {
        return new WorkType(WorkloadType.CGROUP_CHURN, 0, 0);
    }

    /** Moves itself between {@code groups} child cgroups every {@code workIters} spin loops. Defaults 2, 2000. */
    public static WorkType cgroupAttachStorm(int groups, int workIters) {
        return new WorkType(WorkloadType.CGROUP_ATTACH_STORM, within("groups", groups, 1, 64), within("workIters", workIters, 1, 100_000_000));
    }

    public static WorkType cgroupAttachStorm() {
        return new WorkType(WorkloadType.CGROUP_ATTACH_STORM, 0, 0);
    }

    // ---- memory and NUMA ----

    /** Touches {@code touchesPerCycle} random pages of a {@code regionKib} region, then drops them all (MADV_DONTNEED). Defaults 4096 KiB, 256. */
    public static WorkType pageFaultChurn(int regionKib, int touchesPerCycle) {
        return new WorkType(WorkloadType.PAGE_FAULT_CHURN, within("regionKib", regionKib, 4, 1 << 20),
                within("touchesPerCycle", touchesPerCycle, 1, 1 << 20));
    }

    public static WorkType pageFaultChurn() {
        return new WorkType(WorkloadType.PAGE_FAULT_CHURN, 0, 0);
    }

    /** Sweeps 1 MiB, moving itself and its pages to the next NUMA node every {@code period} (default 20 ms). Needs 2 nodes. */
    public static WorkType numaMigrationChurn(Duration period) {
        return new WorkType(WorkloadType.NUMA_MIGRATION_CHURN, WorkParams.millis("period", period, 1, 60_000), 0);
    }

    public static WorkType numaMigrationChurn() {
        return new WorkType(WorkloadType.NUMA_MIGRATION_CHURN, 0, 0);
    }

    /** Binds a {@code regionKib} working set to the next node every {@code sweepPeriod} and sweeps it. Defaults 4096 KiB, 50 ms. Needs 2 nodes. */
    public static WorkType numaWorkingSetSweep(int regionKib, Duration sweepPeriod) {
        return new WorkType(WorkloadType.NUMA_WORKING_SET_SWEEP, within("regionKib", regionKib, 4, 1 << 20),
                WorkParams.millis("sweepPeriod", sweepPeriod, 1, 60_000));
    }

    public static WorkType numaWorkingSetSweep() {
        return new WorkType(WorkloadType.NUMA_WORKING_SET_SWEEP, 0, 0);
    }

    // ---- network ----

    /** Pairs exchange {@code messageBytes} messages over TCP on the guest's loopback; latency = send to receipt. Default 1024. */
    public static WorkType netTraffic(int messageBytes) {
        return new WorkType(WorkloadType.NET_TRAFFIC, within("messageBytes", messageBytes, 8, 1 << 20), 0);
    }

    public static WorkType netTraffic() {
        return new WorkType(WorkloadType.NET_TRAFFIC, 0, 0);
    }

    // ---- block I/O on the scratch disk (the VM gets one: Vm.Builder.scratchDisk, or Vm.run adds it) ----

    /** O_DIRECT writes of {@code kib} to the scratch disk, each followed by fdatasync; latency per I/O. Default 4 KiB. */
    public static WorkType ioSyncWrite(int kib) {
        return new WorkType(WorkloadType.IO_SYNC_WRITE, within("kib", kib, 1, 16384), 0);
    }

    public static WorkType ioSyncWrite() {
        return new WorkType(WorkloadType.IO_SYNC_WRITE, 0, 0);
    }

    /** O_DIRECT reads of {@code kib} at random offsets of the scratch disk; latency per I/O. Default 4 KiB. */
    public static WorkType ioRandRead(int kib) {
        return new WorkType(WorkloadType.IO_RAND_READ, within("kib", kib, 1, 16384), 0);
    }

    public static WorkType ioRandRead() {
        return new WorkType(WorkloadType.IO_RAND_READ, 0, 0);
    }

    /** Even workers stream {@code writeKib} writes, odd ones issue {@code readKib} reads that queue behind them. Defaults 1024, 4. */
    public static WorkType ioConvoy(int writeKib, int readKib) {
        return new WorkType(WorkloadType.IO_CONVOY, within("writeKib", writeKib, 1, 16384), within("readKib", readKib, 1, 16384));
    }

    public static WorkType ioConvoy() {
        return new WorkType(WorkloadType.IO_CONVOY, 0, 0);
    }

    /** Whether this type (or a phase of it) does block I/O, so its VM needs a scratch disk. */
    public boolean needsDisk() {
        return kind.needsDisk() || phases.stream().anyMatch(p -> p.work().needsDisk());
    }

    /** ktstr's PascalCase name of this type ({@code SpinWait}, {@code ThunderingHerd}). */
    public String name() {
        return WorkTypeCatalog.name(kind);
    }

    /**
     * Rejects, before boot, a type the topology cannot serve (a sequence's phases included): SmtSiblingSpin without SMT,
     * the NUMA types on one node, CrossAffinityChurn with one LLC.
     */
    public void checkTopology(Topology topology, String field) {
        String need = switch (kind) {
            case SMT_SIBLING_SPIN -> topology.threadsPerCore() < 2 ? "SMT (threads per core >= 2)" : null;
            case NUMA_MIGRATION_CHURN, NUMA_WORKING_SET_SWEEP -> topology.numaNodes() < 2 ? "2 NUMA nodes or more" : null;
            case CROSS_AFFINITY_CHURN -> topology.llcCount() < 2 ? "2 LLCs or more" : null;
            default -> null;
        };
        if (need != null) {
            throw new InvalidScenarioException(field, name() + " needs " + need + "; the topology is " + topology);
        }
        for (int i = 0; i < phases.size(); i++) {
            phases.get(i).work().checkTopology(topology, field + ".phases[" + i + "]");
        }
    }

    /** Whether workers of this type sleep or wait by design (so CPU-share and gap checks do not apply as for spinners). */
    public boolean blocksByDesign() {
        return switch (kind) {
            case SPIN_WAIT, YIELD_HEAVY, CACHE_PRESSURE, AFFINITY_CHURN, NICE_SWEEP, ALU_HOT, SMT_SIBLING_SPIN, IPC_VARIANCE,
                    CACHE_YIELD, CROSS_AFFINITY_CHURN, PAGE_FAULT_CHURN -> false;
            case SEQUENCE -> phases.stream().anyMatch(p -> p.work().blocksByDesign());
            default -> true;
        };
    }

    private static int millis(String field, Duration d) {
        long ms = d.toMillis();
        if (d.isNegative() || ms > Integer.MAX_VALUE) {
            throw new InvalidScenarioException(field, "must be between 0 and 24 days: " + d);
        }
        return (int) ms;
    }
}
