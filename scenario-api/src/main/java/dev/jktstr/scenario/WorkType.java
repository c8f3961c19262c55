package dev.jktstr.scenario;

import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.guest.WorkloadType;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What each worker of a cgroup does. Made by the factories ({@code WorkType.spinWait()}); the guest runs it
 * (see {@link WorkloadType} for the loops).
 */
public record WorkType(WorkloadType kind, int param1, int param2, List<Phase> phases) {

    /** One phase of a {@link #sequence}: a work type for a time. */
    public record Phase(WorkType work, Duration duration) {}

    public WorkType {
        Objects.requireNonNull(kind, "kind");
        if (param1 < 0 || param2 < 0) {
            throw new InvalidScenarioException("work", kind + " parameters must not be negative");
        }
        phases = List.copyOf(phases);
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
        this(kind, param1, param2, List.of());
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

    /** Sleeps {@code period} again and again; the oversleep is the wake latency. */
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

    public static WorkType wakeChain() {
        return new WorkType(WorkloadType.WAKE_CHAIN, 0, 0);
    }

    public static WorkType forkExit() {
        return new WorkType(WorkloadType.FORK_EXIT, 0, 0);
    }

    public static WorkType affinityChurn() {
        return new WorkType(WorkloadType.AFFINITY_CHURN, 0, 0);
    }

    public static WorkType niceSweep() {
        return new WorkType(WorkloadType.NICE_SWEEP, 0, 0);
    }

    /** Whether workers of this type sleep or wait by design (so CPU-share and gap checks do not apply as for spinners). */
    public boolean blocksByDesign() {
        return switch (kind) {
            case SPIN_WAIT, YIELD_HEAVY, CACHE_PRESSURE, AFFINITY_CHURN, NICE_SWEEP -> false;
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
