package dev.jktstr.kvm.x86;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.machine.Topology;

/**
 * The vCPU topology as the x86 encodings see it: NUMA nodes × LLCs per node × cores per LLC × threads
 * per core, with CPU ids dense in that order (as in {@link Topology}), plus the APIC id layout.
 *
 * <p>Kept apart from {@link Topology} because that record caps the CPU count for the backends that boot
 * today, while the encodings here must already work beyond 254 APIC ids (x2APIC).
 *
 * <p>APIC id layout, from the least significant bit: thread, core (within the LLC), LLC (within the
 * node, reported as the "die" level of leaf 0x1F), node (reported as the package). Each field is
 * {@code ceil(log2(count))} bits wide, so APIC ids have holes whenever a count is not a power of two.
 */
public record CpuTopology(int nodes, int llcsPerNode, int coresPerLlc, int threadsPerCore) {

    /** KVM's default {@code KVM_MAX_VCPUS} on x86 (CONFIG_KVM_MAX_NR_VCPUS). */
    public static final int MAX_VCPUS = 1024;

    /** The highest APIC id we hand out: KVM uses it as the vCPU id, below {@code KVM_MAX_VCPU_IDS} (4 × 1024). */
    public static final int MAX_APIC_ID = 4095;

    public CpuTopology {
        requirePositive("nodes", nodes);
        requirePositive("llcsPerNode", llcsPerNode);
        requirePositive("coresPerLlc", coresPerLlc);
        requirePositive("threadsPerCore", threadsPerCore);
        long cpus = (long) nodes * llcsPerNode * coresPerLlc * threadsPerCore;
        if (cpus > MAX_VCPUS) {
            throw new TopologyEncodingException("topology " + nodes + "," + llcsPerNode + "," + coresPerLlc + ","
                    + threadsPerCore + " has " + cpus + " vCPUs; KVM creates at most " + MAX_VCPUS);
        }
        long maxApicId = ((long) (nodes - 1) << bits(llcsPerNode) + bits(coresPerLlc) + bits(threadsPerCore))
                | ((long) (llcsPerNode - 1) << bits(coresPerLlc) + bits(threadsPerCore))
                | ((long) (coresPerLlc - 1) << bits(threadsPerCore))
                | (threadsPerCore - 1);
        if (maxApicId > MAX_APIC_ID) {
            throw new TopologyEncodingException("topology " + nodes + "," + llcsPerNode + "," + coresPerLlc + ","
                    + threadsPerCore + " needs APIC id " + maxApicId + " (fields rounded up to powers of two); "
                    + "KVM vCPU ids stop at " + MAX_APIC_ID);
        }
    }

    public static CpuTopology of(Topology topology) {
        return new CpuTopology(topology.numaNodes(), topology.llcsPerNode(), topology.coresPerLlc(),
                topology.threadsPerCore());
    }

    /** Parses {@code "N,L,C,T"} like {@link Topology#parse} but without its CPU cap. */
    public static CpuTopology parse(String text) {
        String[] parts = text == null ? new String[0] : text.trim().split("\\s*,\\s*", -1);
        if (parts.length != 4) {
            throw new TopologyEncodingException("topology '" + text
                    + "' must be four comma-separated numbers N,L,C,T (NUMA nodes, LLCs per node, cores per LLC, threads per core)");
        }
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new TopologyEncodingException("topology '" + text + "': '" + parts[i] + "' is not a number");
            }
        }
        return new CpuTopology(v[0], v[1], v[2], v[3]);
    }

    private static void requirePositive(String field, int value) {
        if (value < 1) {
            throw new TopologyEncodingException(field + " must be at least 1, got " + value);
        }
    }

    /** {@code ceil(log2(count))}: the width of an APIC id field holding {@code count} values. */
    static int bits(int count) {
        return count <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(count - 1);
    }

    public int cpuCount() {
        return nodes * llcsPerNode * coresPerLlc * threadsPerCore;
    }

    public int cpusPerNode() {
        return llcsPerNode * coresPerLlc * threadsPerCore;
    }

    public int cpusPerLlc() {
        return coresPerLlc * threadsPerCore;
    }

    public int threadBits() {
        return bits(threadsPerCore);
    }

    public int coreBits() {
        return bits(coresPerLlc);
    }

    public int llcBits() {
        return bits(llcsPerNode);
    }

    /** Right shift from an APIC id to its core (leaf 0xB/0x1F SMT level). */
    public int coreShift() {
        return threadBits();
    }

    /** Right shift from an APIC id to its LLC, the L3 sharing domain (leaf 0x1F core level). */
    public int llcShift() {
        return threadBits() + coreBits();
    }

    /** Right shift from an APIC id to its node/package (leaf 0x1F die level, leaf 0xB core level). */
    public int nodeShift() {
        return threadBits() + coreBits() + llcBits();
    }

    public int nodeOf(int cpu) {
        check(cpu);
        return cpu / cpusPerNode();
    }

    /** LLC index within the node. */
    public int llcInNode(int cpu) {
        check(cpu);
        return cpu / cpusPerLlc() % llcsPerNode;
    }

    /** Core index within the LLC. */
    public int coreInLlc(int cpu) {
        check(cpu);
        return cpu / threadsPerCore % coresPerLlc;
    }

    public int threadOf(int cpu) {
        check(cpu);
        return cpu % threadsPerCore;
    }

    /** The (initial, x2)APIC id of a CPU. */
    public int apicId(int cpu) {
        return nodeOf(cpu) << nodeShift() | llcInNode(cpu) << llcShift() | coreInLlc(cpu) << coreShift() | threadOf(cpu);
    }

    public int maxApicId() {
        return apicId(cpuCount() - 1);
    }

    private void check(int cpu) {
        if (cpu < 0 || cpu >= cpuCount()) {
            throw new IllegalArgumentException("cpu " + cpu + " outside 0.." + (cpuCount() - 1));
        }
    }

    @Override
    public String toString() {
        return nodes + "," + llcsPerNode + "," + coresPerLlc + "," + threadsPerCore;
    }
}
