package dev.jktstr.guest;

import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A group of identical worker processes to spawn in the guest.
 *
 * @param cgroupPath absolute guest path of the cgroup directory to move them into ("" = stay in the agent's)
 * @param count      1..{@value #MAX_WORKERS}
 * @param policy     scheduling policy number ({@code SCHED_EXT} = 7), or -1 to leave it
 * @param affinity   CPUs the workers may run on; empty = no restriction
 * @param phases     for {@link WorkloadType#SEQUENCE}: the phases run in turn (at most {@value #MAX_PHASES}); else empty
 */
public record WorkerRequest(String cgroupPath, int count, WorkloadType type, int param1, int param2, int nice, int policy,
        BitSet affinity, List<Phase> phases) {

    public static final int MAX_WORKERS = 256;
    /** CPUs an affinity mask can name (the agent's mask is 256 bits). */
    public static final int MAX_CPUS = 256;
    public static final int MAX_PHASES = 16;

    /** One phase of a sequence: a work type with its parameters, run for {@code duration} (millisecond resolution). */
    public record Phase(WorkloadType type, int param1, int param2, Duration duration) {
        public Phase {
            Objects.requireNonNull(type, "type");
            if (!type.canBePhase()) {
                throw new IllegalArgumentException(type + " cannot be a phase of a sequence (it needs partner workers)");
            }
            if (param1 < 0 || param2 < 0) {
                throw new IllegalArgumentException("phase parameters must not be negative");
            }
            if (duration == null || duration.toMillis() < 1 || duration.toMillis() > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("phase duration must be between 1 ms and 49 days: " + duration);
            }
        }
    }

    /** Without phases. */
    public WorkerRequest(String cgroupPath, int count, WorkloadType type, int param1, int param2, int nice, int policy,
            BitSet affinity) {
        this(cgroupPath, count, type, param1, param2, nice, policy, affinity, List.of());
    }

    public WorkerRequest {
        Objects.requireNonNull(cgroupPath, "cgroupPath");
        Objects.requireNonNull(type, "type");
        if (count < 1 || count > MAX_WORKERS) {
            throw new IllegalArgumentException("count must be within 1.." + MAX_WORKERS + ": " + count);
        }
        if (nice < -20 || nice > 19) {
            throw new IllegalArgumentException("nice must be within -20..19: " + nice);
        }
        if (param1 < 0 || param2 < 0) {
            throw new IllegalArgumentException("parameters must not be negative");
        }
        phases = List.copyOf(phases);
        if (type == WorkloadType.SEQUENCE ? phases.isEmpty() || phases.size() > MAX_PHASES : !phases.isEmpty()) {
            throw new IllegalArgumentException(type == WorkloadType.SEQUENCE
                    ? "a sequence needs 1.." + MAX_PHASES + " phases, got " + phases.size() : "only a SEQUENCE has phases");
        }
        affinity = affinity == null ? new BitSet() : (BitSet) affinity.clone();
        if (affinity.length() > MAX_CPUS) {
            throw new IllegalArgumentException("affinity names CPU " + (affinity.length() - 1) + ", beyond " + (MAX_CPUS - 1));
        }
    }

    public static WorkerRequest of(String cgroupPath, int count, WorkloadType type) {
        return new WorkerRequest(cgroupPath, count, type, 0, 0, 0, -1, new BitSet());
    }

    @Override
    public BitSet affinity() {
        return (BitSet) affinity.clone();
    }
}
