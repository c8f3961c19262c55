package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * How a cgroup's workers are pinned (sched_setaffinity), described against the topology and the cgroup's cpuset so
 * one scenario fits several machines: ktstr's seven intents. {@link #resolve} turns one into a mask per worker, or
 * refuses it before boot ({@link InvalidScenarioException}) when it cannot be met — CPUs outside the cpuset, an SMT
 * pair on a topology without SMT.
 */
public sealed interface AffinityIntent {

    /** No pinning: the workers may run wherever the cgroup's cpuset lets them. */
    static AffinityIntent inherit() {
        return new Inherit();
    }

    /** Each worker gets its own random {@code count} CPUs of {@code from} ∩ the cpuset (seeded by the cgroup's name). */
    static AffinityIntent randomSubset(CpusetSpec from, int count) {
        return new RandomSubset(from, count);
    }

    /** The CPUs of the last-level cache holding the cpuset's first CPU (CPU 0's without one), within the cpuset. */
    static AffinityIntent llcAligned() {
        return new LlcAligned();
    }

    /** Every CPU of the machine, deliberately beyond the cgroup's cpuset (the kernel intersects; tests that cross). */
    static AffinityIntent crossCgroup() {
        return new CrossCgroup();
    }

    /** Worker i on the i-th CPU of the cpuset (round robin): one CPU each. */
    static AffinityIntent singleCpu() {
        return new SingleCpu();
    }

    /** Exactly these CPUs, which must lie inside the cgroup's cpuset. */
    static AffinityIntent exact(CpusetSpec cpus) {
        return new Exact(cpus);
    }

    /** The two hyperthreads of the first core whose siblings are both in the cpuset; refused without SMT. */
    static AffinityIntent smtSiblingPair() {
        return new SmtSiblingPair();
    }

    /**
     * One mask per worker (an empty mask: not pinned). {@code cpuset} is the cgroup's (empty: every CPU),
     * {@code cgroup} seeds {@link RandomSubset}, so a scenario resolves the same way every time.
     */
    List<BitSet> resolve(Topology topology, Optional<BitSet> cpuset, int workers, String cgroup, String field);

    record Inherit() implements AffinityIntent {
        public List<BitSet> resolve(Topology t, Optional<BitSet> cpuset, int workers, String cgroup, String field) {
            return same(new BitSet(), workers);
        }

        @Override
        public String toString() {
            return "inherit";
        }
    }

    record RandomSubset(CpusetSpec from, int count) implements AffinityIntent {
        public List<BitSet> resolve(Topology t, Optional<BitSet> cpuset, int workers, String cgroup, String field) {
            BitSet pool = from.resolve(t, field);
            cpuset.ifPresent(pool::and);
            if (count < 1 || count > pool.cardinality()) {
                throw new InvalidScenarioException(field, "randomSubset needs 1.." + pool.cardinality() + " CPUs of "
                        + from + (cpuset.isPresent() ? " within the cpuset " + CpusetSpec.format(cpuset.get()) : "")
                        + ", got " + count);
            }
            Random random = new Random(cgroup.hashCode());
            List<Integer> cpus = pool.stream().boxed().toList();
            List<BitSet> masks = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                List<Integer> shuffled = new ArrayList<>(cpus);
                Collections.shuffle(shuffled, random);
                BitSet b = new BitSet();
                shuffled.subList(0, count).forEach(b::set);
                masks.add(b);
            }
            return masks;
        }

        @Override
        public String toString() {
            return "randomSubset(" + from + ", " + count + ")";
        }
    }

    record LlcAligned() implements AffinityIntent {
        public List<BitSet> resolve(Topology t, Optional<BitSet> cpuset, int workers, String cgroup, String field) {
            int first = cpuset.map(c -> c.nextSetBit(0)).orElse(0);
            BitSet llc = new BitSet();
            t.cpusOfLlc(t.llcOf(first)).forEach(llc::set);
            cpuset.ifPresent(llc::and);
            return same(llc, workers);
        }

        @Override
        public String toString() {
            return "llcAligned";
        }
    }

    record CrossCgroup() implements AffinityIntent {
        public List<BitSet> resolve(Topology t, Optional<BitSet> cpuset, int workers, String cgroup, String field) {
            BitSet all = new BitSet();
            all.set(0, t.cpuCount());
            return same(all, workers);
        }

        @Override
        public String toString() {
            return "crossCgroup";
        }
    }

    record SingleCpu() implements AffinityIntent {
        public List<BitSet> resolve(Topology t, Optional<BitSet> cpuset, int workers, String cgroup, String field) {
            List<Integer> pool = cpuset.map(c -> c.stream().boxed().toList())
                    .orElseGet(() -> java.util.stream.IntStream.range(0, t.cpuCount()).boxed().toList());
            List<BitSet> masks = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                BitSet b = new BitSet();
                b.set(pool.get(w % pool.size()));
                masks.add(b);
            }
            return masks;
        }

        @Override
        public String toString() {
            return "singleCpu";
        }
    }

    record Exact(CpusetSpec cpus) implements AffinityIntent {
        public List<BitSet> resolve(Topology t, Optional<BitSet> cpuset, int workers, String cgroup, String field) {
            BitSet b = cpus.resolve(t, field);
            if (cpuset.isPresent()) {
                BitSet outside = (BitSet) b.clone();
                outside.andNot(cpuset.get());
                if (!outside.isEmpty()) {
                    throw new InvalidScenarioException(field, "affinity " + cpus + " = CPUs " + CpusetSpec.format(b)
                            + " reaches outside the cgroup's cpuset " + CpusetSpec.format(cpuset.get()) + " (CPUs "
                            + CpusetSpec.format(outside) + "); use crossCgroup() to cross it deliberately");
                }
            }
            return same(b, workers);
        }

        @Override
        public String toString() {
            return cpus.toString();
        }
    }

    record SmtSiblingPair() implements AffinityIntent {
        public List<BitSet> resolve(Topology t, Optional<BitSet> cpuset, int workers, String cgroup, String field) {
            if (t.threadsPerCore() < 2) {
                throw new InvalidScenarioException(field, "smtSiblingPair needs SMT, and the topology " + t
                        + " has 1 thread per core");
            }
            for (int core = 0; core < t.coreCount(); core++) {
                BitSet pair = new BitSet();
                for (int cpu : t.cpusOfCore(core)) {
                    if (pair.cardinality() < 2 && cpuset.map(c -> c.get(cpu)).orElse(true)) {
                        pair.set(cpu);
                    }
                }
                if (pair.cardinality() == 2) {
                    return same(pair, workers);
                }
            }
            throw new InvalidScenarioException(field, "smtSiblingPair: no core has two hyperthreads inside the cpuset "
                    + cpuset.map(CpusetSpec::format).orElse("(all CPUs)"));
        }

        @Override
        public String toString() {
            return "smtSiblingPair";
        }
    }

    /** The union of the workers' masks (empty: not pinned), what the isolation check allows. */
    static BitSet union(List<BitSet> masks) {
        BitSet u = new BitSet();
        for (BitSet m : masks) {
            if (m.isEmpty()) {
                return new BitSet(); // one unpinned worker: the group is not pinned
            }
            u.or(m);
        }
        return u;
    }

    private static List<BitSet> same(BitSet b, int workers) {
        List<BitSet> masks = new ArrayList<>();
        for (int w = 0; w < Math.max(workers, 1); w++) {
            masks.add((BitSet) b.clone());
        }
        return masks;
    }
}
