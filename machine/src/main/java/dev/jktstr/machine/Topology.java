package dev.jktstr.machine;

import java.util.ArrayList;
import java.util.List;

/**
 * The CPU topology a guest must see: NUMA nodes, last-level caches per node, cores per LLC, hardware
 * threads per core. CPU ids are dense and ordered node → LLC → core → thread, so CPU
 * {@code ((node * llcsPerNode + llc) * coresPerLlc + core) * threadsPerCore + thread}.
 */
public record Topology(int numaNodes, int llcsPerNode, int coresPerLlc, int threadsPerCore) {

    /**
     * The most CPUs a topology may have at all: KVM's default {@code KVM_MAX_VCPUS} on x86. Each backend
     * has its own, lower or equal, limit ({@link MachineBackend#maxCpus()}), checked when it is asked to boot.
     */
    public static final int MAX_CPUS = 1024;

    public Topology {
        requirePositive("numaNodes", numaNodes);
        requirePositive("llcsPerNode", llcsPerNode);
        requirePositive("coresPerLlc", coresPerLlc);
        requirePositive("threadsPerCore", threadsPerCore);
        long cpus = (long) numaNodes * llcsPerNode * coresPerLlc * threadsPerCore;
        if (cpus > MAX_CPUS) {
            throw new InvalidSpecException("topology", cpus + " CPUs requested (" + numaNodes + "," + llcsPerNode + ","
                    + coresPerLlc + "," + threadsPerCore + "); at most " + MAX_CPUS + " on any backend");
        }
    }

    /** One node, one LLC, one core, one thread. */
    public static Topology single() {
        return new Topology(1, 1, 1, 1);
    }

    /**
     * Parses {@code "N,L,C,T"} (nodes, LLCs per node, cores per LLC, threads per core) or a preset's name
     * ({@code odd-3llc}, see {@link TopologyPreset}).
     */
    public static Topology parse(String text) {
        if (text == null) {
            throw new InvalidSpecException("topology", "missing; expected N,L,C,T e.g. 1,2,2,2, or a preset name");
        }
        if (!text.contains(",") && !text.isBlank() && !Character.isDigit(text.strip().charAt(0))) {
            return preset(text);
        }
        String[] parts = text.trim().split("\\s*,\\s*", -1);
        if (parts.length != 4) {
            throw new InvalidSpecException("topology",
                    "'" + text + "' must have four comma-separated numbers N,L,C,T (NUMA nodes, LLCs per node, cores per LLC, threads per core)");
        }
        String[] names = {"numaNodes", "llcsPerNode", "coresPerLlc", "threadsPerCore"};
        int[] values = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                values[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new InvalidSpecException(names[i], "'" + parts[i] + "' is not a number (in topology '" + text + "')");
            }
        }
        return new Topology(values[0], values[1], values[2], values[3]);
    }

    /** A named preset's topology ({@link TopologyPreset#named}: an unknown name lists the valid ones). */
    public static Topology preset(String name) {
        return TopologyPreset.named(name).topology();
    }

    /**
     * From ktstr's terms, where LLCs are counted across the machine: {@code llcs} must split evenly over
     * {@code numaNodes} (ktstr's {@code numa2-8llc} is {@code new Topology(2, 4, 8, 2)}).
     */
    public static Topology fromMachineWideLlcs(int numaNodes, int llcs, int coresPerLlc, int threadsPerCore) {
        requirePositive("numaNodes", numaNodes);
        if (llcs < numaNodes || llcs % numaNodes != 0) {
            throw new InvalidSpecException("llcs", llcs + " LLCs do not split evenly over " + numaNodes + " NUMA nodes");
        }
        return new Topology(numaNodes, llcs / numaNodes, coresPerLlc, threadsPerCore);
    }

    private static void requirePositive(String field, int value) {
        if (value < 1) {
            throw new InvalidSpecException(field, "must be at least 1, got " + value);
        }
    }

    public int cpuCount() {
        return numaNodes * llcsPerNode * coresPerLlc * threadsPerCore;
    }

    public int llcCount() {
        return numaNodes * llcsPerNode;
    }

    public int coreCount() {
        return llcCount() * coresPerLlc;
    }

    public int cpusPerNode() {
        return llcsPerNode * coresPerLlc * threadsPerCore;
    }

    public int cpusPerLlc() {
        return coresPerLlc * threadsPerCore;
    }

    public int nodeOf(int cpu) {
        checkCpu(cpu);
        return cpu / cpusPerNode();
    }

    /** Global LLC index (0 .. llcCount-1) of a CPU. */
    public int llcOf(int cpu) {
        checkCpu(cpu);
        return cpu / cpusPerLlc();
    }

    /** Global core index (0 .. coreCount-1) of a CPU. */
    public int coreOf(int cpu) {
        checkCpu(cpu);
        return cpu / threadsPerCore;
    }

    /** LLC index within the CPU's node. */
    public int llcInNode(int cpu) {
        return llcOf(cpu) % llcsPerNode;
    }

    /** Core index within the CPU's LLC. */
    public int coreInLlc(int cpu) {
        return coreOf(cpu) % coresPerLlc;
    }

    public int threadOf(int cpu) {
        checkCpu(cpu);
        return cpu % threadsPerCore;
    }

    /** CPUs of one NUMA node, ascending. */
    public List<Integer> cpusOfNode(int node) {
        return range(node * cpusPerNode(), cpusPerNode());
    }

    /** CPUs sharing one LLC (global index), ascending. */
    public List<Integer> cpusOfLlc(int llc) {
        return range(llc * cpusPerLlc(), cpusPerLlc());
    }

    /** Hardware threads of one core (global index), ascending. */
    public List<Integer> cpusOfCore(int core) {
        return range(core * threadsPerCore, threadsPerCore);
    }

    private List<Integer> range(int first, int count) {
        List<Integer> cpus = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            cpus.add(first + i);
        }
        return List.copyOf(cpus);
    }

    private void checkCpu(int cpu) {
        if (cpu < 0 || cpu >= cpuCount()) {
            throw new IllegalArgumentException("cpu " + cpu + " outside 0.." + (cpuCount() - 1));
        }
    }

    /** The Linux cpulist notation for contiguous or scattered CPU sets: {@code 0-3,8}. */
    public static String cpuList(List<Integer> cpus) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < cpus.size()) {
            int start = cpus.get(i);
            int end = start;
            while (i + 1 < cpus.size() && cpus.get(i + 1) == end + 1) {
                end = cpus.get(++i);
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(start);
            if (end != start) {
                sb.append('-').append(end);
            }
            i++;
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return numaNodes + "," + llcsPerNode + "," + coresPerLlc + "," + threadsPerCore;
    }
}
