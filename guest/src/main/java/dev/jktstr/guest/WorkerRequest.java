package dev.jktstr.guest;

import dev.jktstr.bindings.agent.AgentH;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A group of identical worker processes to spawn in the guest.
 *
 * @param cgroupPath absolute guest path of the cgroup directory to move them into ("" = stay in the agent's)
 * @param count      1..{@value #MAX_WORKERS}
 * @param policy     scheduling policy number ({@code SCHED_EXT} = 7), or -1 to leave it
 * @param affinity   CPUs the workers may run on; empty = no restriction
 * @param phases     for {@link WorkloadType#SEQUENCE}: the phases run in turn (at most {@value #MAX_PHASES}); else empty
 * @param memPolicy  the NUMA memory policy each worker sets (set_mempolicy(2)) before it touches its memory; empty =
 *                   inherited from the agent
 * @param execPath   CUSTOM only: the guest path of the executable each worker runs
 */
public record WorkerRequest(String cgroupPath, int count, WorkloadType type, int param1, int param2, int nice, int policy,
        BitSet affinity, List<Phase> phases, Optional<MemPolicy> memPolicy, Optional<String> execPath) {

    /** The longest {@link #execPath()} the agent takes, in UTF-8 bytes. */
    public static final int MAX_EXEC_PATH = AgentH.AGENT_MAX_EXEC_PATH - 1;

    /** Without a CUSTOM executable. */
    public WorkerRequest(String cgroupPath, int count, WorkloadType type, int param1, int param2, int nice, int policy,
            BitSet affinity, List<Phase> phases, Optional<MemPolicy> memPolicy) {
        this(cgroupPath, count, type, param1, param2, nice, policy, affinity, phases, memPolicy, Optional.empty());
    }

    public static final int MAX_WORKERS = AgentH.AGENT_MAX_WORKERS;
    /** CPUs an affinity mask can name (the agent's mask is 256 bits). */
    public static final int MAX_CPUS = AgentH.AGENT_MAX_CPUS;
    public static final int MAX_PHASES = AgentH.AGENT_MAX_PHASES;

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

    /**
     * A set_mempolicy(2) policy. Nodes are absolute ({@code MPOL_F_STATIC_NODES}: a later change of the cpuset's
     * mems does not remap them).
     *
     * @param mode  what the kernel calls the policy
     * @param nodes the nodes (0..{@value #MAX_NODES}-1): at least one for BIND and INTERLEAVE, exactly one for
     *              PREFERRED, none for DEFAULT and LOCAL
     */
    public record MemPolicy(Mode mode, BitSet nodes) {
        /** Nodes a policy can name (the wire carries a 64-bit mask). */
        public static final int MAX_NODES = AgentH.AGENT_MAX_NODES;

        /** The kernel's MPOL_* numbers. */
        public enum Mode {
            DEFAULT(AgentH.AGENT_MPOL_DEFAULT), PREFERRED(AgentH.AGENT_MPOL_PREFERRED), BIND(AgentH.AGENT_MPOL_BIND),
            INTERLEAVE(AgentH.AGENT_MPOL_INTERLEAVE), LOCAL(AgentH.AGENT_MPOL_LOCAL),
            /** Prefer any of the nodes (Linux 5.15). */
            PREFERRED_MANY(AgentH.AGENT_MPOL_PREFERRED_MANY),
            /** Interleave by the per-node weights in /sys/kernel/mm/mempolicy/weighted_interleave (Linux 6.9). */
            WEIGHTED_INTERLEAVE(AgentH.AGENT_MPOL_WEIGHTED_INTERLEAVE);

            final int wireId;

            Mode(int wireId) {
                this.wireId = wireId;
            }
        }

        public MemPolicy {
            Objects.requireNonNull(mode, "mode");
            nodes = nodes == null ? new BitSet() : (BitSet) nodes.clone();
            if (nodes.length() > MAX_NODES) {
                throw new IllegalArgumentException("memory policy names node " + (nodes.length() - 1) + ", beyond " + (MAX_NODES - 1));
            }
            int n = nodes.cardinality();
            switch (mode) {
                case DEFAULT, LOCAL -> {
                    if (n != 0) {
                        throw new IllegalArgumentException(mode + " takes no nodes, got " + nodes);
                    }
                }
                case PREFERRED -> {
                    if (n != 1) {
                        throw new IllegalArgumentException("PREFERRED takes exactly one node, got " + nodes);
                    }
                }
                case BIND, INTERLEAVE, PREFERRED_MANY, WEIGHTED_INTERLEAVE -> {
                    if (n == 0) {
                        throw new IllegalArgumentException(mode + " needs at least one node");
                    }
                }
            }
        }

        @Override
        public BitSet nodes() {
            return (BitSet) nodes.clone();
        }

        long nodeMask() {
            long[] w = nodes.toLongArray();
            return w.length == 0 ? 0 : w[0];
        }
    }

    /** Without phases. */
    public WorkerRequest(String cgroupPath, int count, WorkloadType type, int param1, int param2, int nice, int policy,
            BitSet affinity) {
        this(cgroupPath, count, type, param1, param2, nice, policy, affinity, List.of());
    }

    /** Without a memory policy. */
    public WorkerRequest(String cgroupPath, int count, WorkloadType type, int param1, int param2, int nice, int policy,
            BitSet affinity, List<Phase> phases) {
        this(cgroupPath, count, type, param1, param2, nice, policy, affinity, phases, Optional.empty());
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
        memPolicy = memPolicy == null ? Optional.empty() : memPolicy;
        execPath = execPath == null ? Optional.empty() : execPath;
        if ((type == WorkloadType.CUSTOM) != execPath.isPresent()) {
            throw new IllegalArgumentException("an executable path goes with CUSTOM and only with it");
        }
        if (execPath.isPresent() && (!execPath.get().startsWith("/") || execPath.get().indexOf('\0') >= 0
                || execPath.get().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_EXEC_PATH)) {
            throw new IllegalArgumentException("executable path must be absolute, without NUL, at most " + MAX_EXEC_PATH
                    + " bytes: " + execPath.get());
        }
        affinity = affinity == null ? new BitSet() : (BitSet) affinity.clone();
        if (affinity.length() > MAX_CPUS) {
            throw new IllegalArgumentException("affinity names CPU " + (affinity.length() - 1) + ", beyond " + (MAX_CPUS - 1));
        }
    }

    public static WorkerRequest of(String cgroupPath, int count, WorkloadType type) {
        return new WorkerRequest(cgroupPath, count, type, 0, 0, 0, -1, new BitSet());
    }

    /** This request with each worker setting {@code p} before it runs. */
    public WorkerRequest withMemPolicy(MemPolicy p) {
        return new WorkerRequest(cgroupPath, count, type, param1, param2, nice, policy, affinity, phases, Optional.of(p));
    }

    @Override
    public BitSet affinity() {
        return (BitSet) affinity.clone();
    }
}
