package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a scenario needs of a topology, so a sweep ({@code jktstr gauntlet}) skips, with the reason, the presets it
 * makes no sense on instead of booting them: CPU, LLC and NUMA-node bounds (inclusive; LLCs counted across the whole
 * machine, {@link Topology#llcCount()}) and whether SMT is required, forbidden or either. Immutable; the withers
 * return a copy: {@code TopologyRequirements.any().minCpus(2).smt(Smt.REQUIRED)}.
 */
public record TopologyRequirements(int minCpus, int maxCpus, int minLlcs, int maxLlcs, int minNodes, int maxNodes,
        Smt smt) {

    /** SMT: threads per core above 1. */
    public enum Smt { ANY, REQUIRED, FORBIDDEN }

    private static final TopologyRequirements ANY =
            new TopologyRequirements(1, Integer.MAX_VALUE, 1, Integer.MAX_VALUE, 1, Integer.MAX_VALUE, Smt.ANY);

    public TopologyRequirements {
        check("cpus", minCpus, maxCpus);
        check("llcs", minLlcs, maxLlcs);
        check("nodes", minNodes, maxNodes);
        if (smt == null) {
            throw new InvalidScenarioException("requirements.smt", "must be ANY, REQUIRED or FORBIDDEN, not null");
        }
    }

    private static void check(String what, int min, int max) {
        if (min < 1 || max < min) {
            throw new InvalidScenarioException("requirements." + what,
                    "need 1 <= min <= max, got min " + min + ", max " + max);
        }
    }

    /** Fits every topology. */
    public static TopologyRequirements any() {
        return ANY;
    }

    public TopologyRequirements minCpus(int n) {
        return new TopologyRequirements(n, maxCpus, minLlcs, maxLlcs, minNodes, maxNodes, smt);
    }

    public TopologyRequirements maxCpus(int n) {
        return new TopologyRequirements(minCpus, n, minLlcs, maxLlcs, minNodes, maxNodes, smt);
    }

    public TopologyRequirements minLlcs(int n) {
        return new TopologyRequirements(minCpus, maxCpus, n, maxLlcs, minNodes, maxNodes, smt);
    }

    public TopologyRequirements maxLlcs(int n) {
        return new TopologyRequirements(minCpus, maxCpus, minLlcs, n, minNodes, maxNodes, smt);
    }

    public TopologyRequirements minNodes(int n) {
        return new TopologyRequirements(minCpus, maxCpus, minLlcs, maxLlcs, n, maxNodes, smt);
    }

    public TopologyRequirements maxNodes(int n) {
        return new TopologyRequirements(minCpus, maxCpus, minLlcs, maxLlcs, minNodes, n, smt);
    }

    public TopologyRequirements smt(Smt s) {
        return new TopologyRequirements(minCpus, maxCpus, minLlcs, maxLlcs, minNodes, maxNodes, s);
    }

    /** Empty when {@code t} fits; otherwise every reason it does not, in one line ("needs >= 2 LLCs, has 1"). */
    public Optional<String> mismatch(Topology t) {
        List<String> why = new ArrayList<>();
        bound(why, "CPUs", t.cpuCount(), minCpus, maxCpus);
        bound(why, "LLCs", t.llcCount(), minLlcs, maxLlcs);
        bound(why, "NUMA nodes", t.numaNodes(), minNodes, maxNodes);
        if (smt == Smt.REQUIRED && t.threadsPerCore() < 2) {
            why.add("needs SMT, has 1 thread per core");
        } else if (smt == Smt.FORBIDDEN && t.threadsPerCore() > 1) {
            why.add("needs no SMT, has " + t.threadsPerCore() + " threads per core");
        }
        return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", why));
    }

    public boolean fits(Topology t) {
        return mismatch(t).isEmpty();
    }

    private static void bound(List<String> why, String what, int has, int min, int max) {
        if (has < min) {
            why.add("needs >= " + min + " " + what + ", has " + has);
        } else if (has > max) {
            why.add("needs <= " + max + " " + what + ", has " + has);
        }
    }

    @Override
    public String toString() {
        List<String> s = new ArrayList<>();
        range(s, "cpus", minCpus, maxCpus);
        range(s, "llcs", minLlcs, maxLlcs);
        range(s, "nodes", minNodes, maxNodes);
        if (smt != Smt.ANY) {
            s.add("smt " + smt.name().toLowerCase(java.util.Locale.ROOT));
        }
        return s.isEmpty() ? "any topology" : String.join(", ", s);
    }

    private static void range(List<String> s, String what, int min, int max) {
        if (min > 1 || max < Integer.MAX_VALUE) {
            s.add(what + " " + min + ".." + (max == Integer.MAX_VALUE ? "" : String.valueOf(max)));
        }
    }
}
