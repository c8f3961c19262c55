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

    /**
     * The CPUs from fraction {@code startFrac} to {@code endFrac} of all CPUs, in CPU order: {@code range(0.5, 1.0)} is
     * the upper half. Each end is rounded down to a whole CPU; the range must hold at least one.
     */
    static CpusetSpec range(double startFrac, double endFrac) {
        return new Range(startFrac, endFrac);
    }

    /**
     * Part {@code index} of {@code parts} slices, widened into each neighbour by {@code frac} of a slice: neighbouring
     * cgroups share CPUs (frac 0 is {@link #slice}; ktstr's Overlap).
     */
    static CpusetSpec overlap(int index, int parts, double frac) {
        return new Overlap(index, parts, frac);
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

    record Range(double startFrac, double endFrac) implements CpusetSpec {
        @Override
        public BitSet resolve(Topology t, String field) {
            if (!Double.isFinite(startFrac) || !Double.isFinite(endFrac) || startFrac < 0 || endFrac > 1
                    || startFrac >= endFrac) {
                throw new InvalidScenarioException(field, "range needs 0 <= start < end <= 1, got " + startFrac + ".."
                        + endFrac);
            }
            int from = (int) (t.cpuCount() * startFrac), to = (int) (t.cpuCount() * endFrac);
            if (from >= to) {
                throw new InvalidScenarioException(field, "range " + startFrac + ".." + endFrac + " of " + t.cpuCount()
                        + " CPUs holds no whole CPU");
            }
            BitSet b = new BitSet();
            b.set(from, to);
            return b;
        }

        @Override
        public String toString() {
            return "range(" + startFrac + ".." + endFrac + ")";
        }
    }

    record Overlap(int index, int parts, double frac) implements CpusetSpec {
        @Override
        public BitSet resolve(Topology t, String field) {
            BitSet b = new Slice(index, parts).resolve(t, field); // checks index and parts
            if (!Double.isFinite(frac) || frac < 0 || frac > 1) {
                throw new InvalidScenarioException(field, "overlap fraction must be within 0..1, got " + frac);
            }
            int per = t.cpuCount() / parts, extra = (int) (per * frac);
            int from = Math.max(0, b.nextSetBit(0) - (index == 0 ? 0 : extra));
            int to = index == parts - 1 ? t.cpuCount() : Math.min(t.cpuCount(), b.length() + extra);
            BitSet r = new BitSet();
            r.set(from, to);
            return r;
        }

        @Override
        public String toString() {
            return "overlap(" + index + "/" + parts + ", " + frac + ")";
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
