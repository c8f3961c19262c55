package dev.jktstr.scenario;

import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.machine.Topology;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The NUMA memory policy of a cgroup's workers: {@code CgroupDef.named("db").memoryPolicy(MemoryPolicy.bind(1))}.
 * Each worker sets it with set_mempolicy(2) before it touches its own memory (nodes are absolute,
 * {@code MPOL_F_STATIC_NODES}); {@link #bind} also sets the cgroup's {@code cpuset.mems} to the same nodes, so the
 * cpuset and the policy agree. Nodes are checked against the topology's NUMA nodes before boot.
 *
 * @param mode  the kernel's name for the policy
 * @param nodes the nodes, ascending: at least one for bind and interleave, one for preferred, none otherwise
 */
public record MemoryPolicy(Mode mode, List<Integer> nodes) {

    /** set_mempolicy(2) modes. */
    public enum Mode {
        /** Fall back to the system default (allocate on the node of the CPU that faults). */
        DEFAULT,
        /** Prefer one node, fall back to others when it is full. */
        PREFERRED,
        /** Only these nodes; the cgroup's cpuset.mems is set to them as well. */
        BIND,
        /** Pages round-robin over these nodes. */
        INTERLEAVE,
        /** The node of the CPU that allocates. */
        LOCAL,
        /** Prefer any of these nodes, fall back to others (MPOL_PREFERRED_MANY, Linux 5.15). */
        PREFERRED_MANY,
        /** Interleave over these nodes by the kernel's per-node weights (MPOL_WEIGHTED_INTERLEAVE, Linux 6.9). */
        WEIGHTED_INTERLEAVE
    }

    public MemoryPolicy {
        Objects.requireNonNull(mode, "mode");
        nodes = nodes.stream().distinct().sorted().toList();
    }

    /** Memory only from {@code nodes} (and {@code cpuset.mems} = those nodes). */
    public static MemoryPolicy bind(int... nodes) {
        return new MemoryPolicy(Mode.BIND, list(nodes));
    }

    /** Memory interleaved page by page over {@code nodes}. */
    public static MemoryPolicy interleave(int... nodes) {
        return new MemoryPolicy(Mode.INTERLEAVE, list(nodes));
    }

    /** Memory from {@code node} while it has some. */
    public static MemoryPolicy preferred(int node) {
        return new MemoryPolicy(Mode.PREFERRED, List.of(node));
    }

    /** Memory from any of {@code nodes} while they have some (MPOL_PREFERRED_MANY; needs Linux 5.15). */
    public static MemoryPolicy preferredMany(int... nodes) {
        return new MemoryPolicy(Mode.PREFERRED_MANY, list(nodes));
    }

    /**
     * Memory interleaved over {@code nodes} in proportion to the kernel's per-node weights
     * ({@code /sys/kernel/mm/mempolicy/weighted_interleave/nodeN}; MPOL_WEIGHTED_INTERLEAVE, needs Linux 6.9: an older
     * kernel fails the spawn with EINVAL from set_mempolicy).
     */
    public static MemoryPolicy weightedInterleave(int... nodes) {
        return new MemoryPolicy(Mode.WEIGHTED_INTERLEAVE, list(nodes));
    }

    /** Memory from the node of the CPU that allocates. */
    public static MemoryPolicy local() {
        return new MemoryPolicy(Mode.LOCAL, List.of());
    }

    /** The system default policy, set explicitly. */
    public static MemoryPolicy defaultPolicy() {
        return new MemoryPolicy(Mode.DEFAULT, List.of());
    }

    private static List<Integer> list(int[] nodes) {
        return IntStream.of(nodes).boxed().toList();
    }

    /** Rejects nodes outside the topology and node lists that do not fit the mode, naming {@code field}. */
    void validate(Topology topology, String field) {
        switch (mode) {
            case BIND, INTERLEAVE, PREFERRED_MANY, WEIGHTED_INTERLEAVE -> {
                if (nodes.isEmpty()) {
                    throw new InvalidScenarioException(field + ".nodes", mode.name().toLowerCase() + " needs at least one NUMA node");
                }
            }
            case PREFERRED -> {
                if (nodes.size() != 1) {
                    throw new InvalidScenarioException(field + ".nodes", "preferred takes exactly one NUMA node, got " + nodes);
                }
            }
            case DEFAULT, LOCAL -> {
                if (!nodes.isEmpty()) {
                    throw new InvalidScenarioException(field + ".nodes", mode.name().toLowerCase() + " takes no nodes, got " + nodes);
                }
            }
        }
        for (int n : nodes) {
            if (n < 0 || n >= topology.numaNodes()) {
                throw new InvalidScenarioException(field + ".nodes", "NUMA node " + n + " is outside the topology " + topology
                        + " (nodes 0-" + (topology.numaNodes() - 1) + ")");
            }
        }
    }

    /** What the guest agent applies. */
    WorkerRequest.MemPolicy toRequest() {
        BitSet b = new BitSet();
        nodes.forEach(b::set);
        return new WorkerRequest.MemPolicy(WorkerRequest.MemPolicy.Mode.valueOf(mode.name()), b);
    }

    /** The cgroup's {@code cpuset.mems} for this policy: the nodes for bind, nothing otherwise. */
    Optional<String> cpusetMems() {
        return mode == Mode.BIND ? Optional.of(Topology.cpuList(nodes)) : Optional.empty();
    }

    /**
     * How the kernel shows this policy in {@code /proc/PID/numa_maps} (its {@code mpol_to_str}): {@code bind=static:1},
     * {@code interleave=static:0-1}, {@code prefer=static:1}, {@code prefer (many)=static:0-1},
     * {@code weighted interleave=static:0-1}, {@code local}, {@code default}.
     */
    public String kernelForm() {
        return switch (mode) {
            case DEFAULT -> "default";
            case LOCAL -> "local";
            case PREFERRED -> "prefer=static:" + Topology.cpuList(nodes);
            case BIND -> "bind=static:" + Topology.cpuList(nodes);
            case INTERLEAVE -> "interleave=static:" + Topology.cpuList(nodes);
            case PREFERRED_MANY -> "prefer (many)=static:" + Topology.cpuList(nodes);
            case WEIGHTED_INTERLEAVE -> "weighted interleave=static:" + Topology.cpuList(nodes);
        };
    }

    @Override
    public String toString() {
        return mode.name().toLowerCase() + (nodes.isEmpty() ? "" : "(" + Topology.cpuList(nodes) + ")");
    }
}
