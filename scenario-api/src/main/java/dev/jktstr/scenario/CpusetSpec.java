package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.BitSet;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which CPUs a cgroup may use, described against the topology (so one scenario fits several machines).
 * {@link #resolve} checks it against a concrete topology.
 */
public sealed interface CpusetSpec {

    /** The CPUs of last-level cache {@code index} (dense over all NUMA nodes). */
    static CpusetSpec llc(int index) {
        return new Llc(index);
    }

    /** The CPUs of NUMA node {@code index}. */
    static CpusetSpec node(int index) {
        return new Node(index);
    }

    /** Explicit CPU ids. */
    static CpusetSpec cpus(int... cpus) {
        if (cpus.length == 0) {
            throw new InvalidScenarioException("cpuset", "needs at least one CPU");
        }
        return new Cpus(IntStream.of(cpus).boxed().toList());
    }

    /** Part {@code index} of {@code parts} equal, disjoint slices of all CPUs (the last takes the remainder). */
    static CpusetSpec slice(int index, int parts) {
        return new Slice(index, parts);
    }

    /** The CPUs, or {@link InvalidScenarioException} naming {@code field} when they do not exist in the topology. */
    BitSet resolve(Topology topology, String field);

    record Llc(int index) implements CpusetSpec {
        @Override
        public BitSet resolve(Topology t, String field) {
            if (index < 0 || index >= t.llcCount()) {
                throw new InvalidScenarioException(field, "LLC " + index + " is outside the topology " + t + " ("
                        + t.llcCount() + " LLCs)");
            }
            return bits(t.cpusOfLlc(index));
        }

        @Override
        public String toString() {
            return "llc(" + index + ")";
        }
    }

    record Node(int index) implements CpusetSpec {
        @Override
        public BitSet resolve(Topology t, String field) {
            if (index < 0 || index >= t.numaNodes()) {
                throw new InvalidScenarioException(field, "NUMA node " + index + " is outside the topology " + t);
            }
            return bits(t.cpusOfNode(index));
        }

        @Override
        public String toString() {
            return "node(" + index + ")";
        }
    }

    record Cpus(List<Integer> cpus) implements CpusetSpec {
        public Cpus {
            cpus = List.copyOf(cpus);
        }

        @Override
        public BitSet resolve(Topology t, String field) {
            for (int c : cpus) {
                if (c < 0 || c >= t.cpuCount()) {
                    throw new InvalidScenarioException(field, "CPU " + c + " is outside the topology " + t + " (CPUs 0-"
                            + (t.cpuCount() - 1) + ")");
                }
            }
            return bits(cpus);
        }

        @Override
        public String toString() {
            return "cpus(" + Topology.cpuList(cpus) + ")";
        }
    }

    record Slice(int index, int parts) implements CpusetSpec {
        @Override
        public BitSet resolve(Topology t, String field) {
            if (parts < 1 || parts > t.cpuCount()) {
                throw new InvalidScenarioException(field, "cannot cut " + t.cpuCount() + " CPUs into " + parts + " slices");
            }
            if (index < 0 || index >= parts) {
                throw new InvalidScenarioException(field, "slice " + index + " of " + parts + " does not exist");
            }
            int per = t.cpuCount() / parts;
            int from = index * per;
            int to = index == parts - 1 ? t.cpuCount() : from + per;
            BitSet b = new BitSet();
            b.set(from, to);
            return b;
        }

        @Override
        public String toString() {
            return "slice(" + index + "/" + parts + ")";
        }
    }

    private static BitSet bits(List<Integer> cpus) {
        BitSet b = new BitSet();
        cpus.forEach(b::set);
        return b;
    }

    /** "0-3,6" for a set. */
    static String format(BitSet cpus) {
        return Topology.cpuList(cpus.stream().boxed().toList());
    }
}
