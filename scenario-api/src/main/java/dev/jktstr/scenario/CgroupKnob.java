package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * One cgroup v2 controller file and the value a cgroup gets in it: {@code CgroupKnob.cpuMax(50_000, 100_000)},
 * {@code memoryMax(64 << 20)}, {@code pidsMax(32)}. Set when the cgroup is added ({@link CgroupDef#knob}) or mid-run
 * ({@link Op#setKnob}); either way the run reads the file back from inside the guest after writing it: a value the
 * kernel rounds (memory sizes to pages) is a verdict note with what it holds, a value it refuses fails the op with the
 * kernel's error, and a file the kernel lacks fails it naming the config option (see the README's *Cgroup controller
 * knobs*). Validated before boot ({@link #validate}).
 */
public sealed interface CgroupKnob {

    /** "No limit", as the kernel writes it. */
    long MAX = -1;

    /** {@code cpu.max}: at most {@code quotaUs} of CPU time per {@code periodUs} (bandwidth; needs CONFIG_CFS_BANDWIDTH). */
    static CgroupKnob cpuMax(long quotaUs, long periodUs) {
        return new CpuMax(quotaUs, periodUs);
    }

    /** {@code cpu.weight}, 1..10000 (100 is the default share). */
    static CgroupKnob cpuWeight(int weight) {
        return new CpuWeight(weight);
    }

    /** {@code memory.max} in bytes ({@link #MAX}: none); the kernel rounds down to pages (needs CONFIG_MEMCG). */
    static CgroupKnob memoryMax(long bytes) {
        return new Memory(Memory.Kind.MAX, bytes);
    }

    /** {@code memory.high} in bytes: above it the cgroup is throttled and reclaimed ({@link #MAX}: none). */
    static CgroupKnob memoryHigh(long bytes) {
        return new Memory(Memory.Kind.HIGH, bytes);
    }

    /** {@code memory.low} in bytes: best-effort protection from reclaim. */
    static CgroupKnob memoryLow(long bytes) {
        return new Memory(Memory.Kind.LOW, bytes);
    }

    /** {@code memory.swap.max} in bytes ({@link #MAX}: none; needs CONFIG_MEMCG and CONFIG_SWAP). */
    static CgroupKnob swapMax(long bytes) {
        return new Memory(Memory.Kind.SWAP_MAX, bytes);
    }

    /** {@code io.weight}, 1..10000 (the default weight; the file reads {@code default N}; needs io.cost or BFQ). */
    static CgroupKnob ioWeight(int weight) {
        return new IoWeight(weight);
    }

    /** {@code pids.max}: at most {@code n} tasks ({@link #MAX}: none; needs CONFIG_CGROUP_PIDS). */
    static CgroupKnob pidsMax(long n) {
        return new PidsMax(n);
    }

    /** {@code cpuset.mems}: the NUMA nodes the cgroup's memory comes from. */
    static CgroupKnob cpusetMems(int... nodes) {
        return new CpusetMems(IntStream.of(nodes).boxed().toList());
    }

    /** The controller file below the cgroup's directory. */
    String file();

    /** The controller that provides {@link #file()} (what the parent's {@code cgroup.subtree_control} must enable). */
    String controller();

    /** The kernel option without which the file does not exist (named when it is missing). */
    String kernelOption();

    /** The value as written to the file. */
    String value();

    /** Whether {@code held} (the file read back, stripped) is exactly what was written, in the file's own format. */
    default boolean holdsAsWritten(String held) {
        return held.equals(value());
    }

    /** Checks the value against the kernel's ranges and the topology ({@link InvalidScenarioException} naming field). */
    void validate(Topology topology, String field);

    record CpuMax(long quotaUs, long periodUs) implements CgroupKnob {
        /** The kernel's bounds (kernel/sched/core.c): a period of 1 ms..1 s, a quota of at least 1 ms. */
        static final long MIN_US = 1000, MAX_PERIOD_US = 1_000_000;

        public String file() { return "cpu.max"; }
        public String controller() { return "cpu"; }
        public String kernelOption() { return "CONFIG_CFS_BANDWIDTH"; }
        public String value() { return (quotaUs == MAX ? "max" : String.valueOf(quotaUs)) + " " + periodUs; }

        public void validate(Topology topology, String field) {
            if (periodUs < MIN_US || periodUs > MAX_PERIOD_US) {
                throw new InvalidScenarioException(field, "cpu.max period must be within " + MIN_US + ".." + MAX_PERIOD_US
                        + " µs, got " + periodUs);
            }
            if (quotaUs != MAX && (quotaUs < MIN_US || quotaUs > 1L << 44)) {
                throw new InvalidScenarioException(field, "cpu.max quota must be at least " + MIN_US + " µs (or MAX), got "
                        + quotaUs);
            }
        }
    }

    record CpuWeight(int weight) implements CgroupKnob {
        public String file() { return "cpu.weight"; }
        public String controller() { return "cpu"; }
        public String kernelOption() { return "CONFIG_FAIR_GROUP_SCHED"; }
        public String value() { return String.valueOf(weight); }

        public void validate(Topology topology, String field) {
            range(weight, 1, 10_000, "cpu.weight", field);
        }
    }

    record Memory(Kind kind, long bytes) implements CgroupKnob {
        public enum Kind {
            MAX("memory.max"), HIGH("memory.high"), LOW("memory.low"), SWAP_MAX("memory.swap.max");

            final String file;

            Kind(String file) {
                this.file = file;
            }
        }

        public Memory {
            Objects.requireNonNull(kind, "kind");
        }

        public String file() { return kind.file; }
        public String controller() { return "memory"; }
        public String kernelOption() { return kind == Kind.SWAP_MAX ? "CONFIG_MEMCG and CONFIG_SWAP" : "CONFIG_MEMCG"; }
        public String value() { return bytes == MAX ? "max" : String.valueOf(bytes); }

        public void validate(Topology topology, String field) {
            if (bytes != MAX && bytes < 0) {
                throw new InvalidScenarioException(field, kind.file + " must be a byte count >= 0 or MAX, got " + bytes);
            }
            if (kind == Kind.LOW && bytes == MAX) {
                throw new InvalidScenarioException(field, "memory.low = max would protect everything; give a byte count");
            }
        }
    }

    record IoWeight(int weight) implements CgroupKnob {
        public String file() { return "io.weight"; }
        public String controller() { return "io"; }
        public String kernelOption() { return "CONFIG_BLK_CGROUP_IOCOST (or BFQ)"; }
        public String value() { return String.valueOf(weight); }

        @Override
        public boolean holdsAsWritten(String held) {
            // "default N", then per-device lines (joined onto one line once sanitized)
            return held.matches("default " + weight + "(\\D.*)?");
        }

        public void validate(Topology topology, String field) {
            range(weight, 1, 10_000, "io.weight", field);
        }
    }

    record PidsMax(long n) implements CgroupKnob {
        /** PID_MAX_LIMIT on 64-bit kernels. */
        static final long LIMIT = 4L << 20;

        public String file() { return "pids.max"; }
        public String controller() { return "pids"; }
        public String kernelOption() { return "CONFIG_CGROUP_PIDS"; }
        public String value() { return n == MAX ? "max" : String.valueOf(n); }

        public void validate(Topology topology, String field) {
            if (n != MAX) {
                range(n, 0, LIMIT, "pids.max", field);
            }
        }
    }

    record CpusetMems(List<Integer> nodes) implements CgroupKnob {
        public CpusetMems {
            nodes = List.copyOf(nodes);
        }

        public String file() { return "cpuset.mems"; }
        public String controller() { return "cpuset"; }
        public String kernelOption() { return "CONFIG_CPUSETS"; }
        public String value() { return CpusetSpec.format(bits(nodes)); }

        public void validate(Topology topology, String field) {
            if (nodes.isEmpty()) {
                throw new InvalidScenarioException(field, "cpuset.mems needs at least one NUMA node");
            }
            for (int n : nodes) {
                if (n < 0 || (topology != null && n >= topology.numaNodes())) {
                    throw new InvalidScenarioException(field, "NUMA node " + n + " is outside the topology"
                            + (topology == null ? "" : " " + topology + " (nodes 0-" + (topology.numaNodes() - 1) + ")"));
                }
            }
        }

        private static BitSet bits(List<Integer> nodes) {
            BitSet b = new BitSet();
            nodes.forEach(b::set);
            return b;
        }
    }

    private static void range(long v, long lo, long hi, String file, String field) {
        if (v < lo || v > hi) {
            throw new InvalidScenarioException(field, file + " must be within " + lo + ".." + hi + ", got " + v);
        }
    }
}
