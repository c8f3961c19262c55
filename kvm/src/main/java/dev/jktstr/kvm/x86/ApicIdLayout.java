package dev.jktstr.kvm.x86;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.machine.Topology;

/**
 * How a {@link Topology} is encoded in x86 APIC ids, the numbering CPUID, ACPI (MADT/SRAT), the MP table
 * and KVM's vCPU ids all share.
 *
 * <p>Layout, from the least significant bit: thread, core (within the LLC), LLC (within the node,
 * reported as the "die" level of leaf 0x1F), node (reported as the package). Each field is
 * {@code ceil(log2(count))} bits wide, so APIC ids have holes whenever a count is not a power of two.
 * The topology itself (counts, CPU numbering, parsing) is {@link Topology}'s; this type only adds the
 * bit fields and refuses layouts whose highest id KVM cannot take.
 */
public record ApicIdLayout(Topology topology) {

    /** The highest APIC id we hand out: KVM uses it as the vCPU id, below {@code KVM_MAX_VCPU_IDS} (4 × 1024). */
    public static final int MAX_APIC_ID = 4095;

    // Unreachable while Topology.MAX_CPUS is 1024 (8,5,5,5 wastes the most and reaches 2340); kept so a
    // larger cap fails here, naming the limit, rather than in KVM_CREATE_VCPU.
    public ApicIdLayout {
        if (topology == null) {
            throw new TopologyEncodingException("topology missing");
        }
        long maxApicId = ((long) (topology.numaNodes() - 1) << bits(topology.llcsPerNode())
                + bits(topology.coresPerLlc()) + bits(topology.threadsPerCore()))
                | ((long) (topology.llcsPerNode() - 1) << bits(topology.coresPerLlc()) + bits(topology.threadsPerCore()))
                | ((long) (topology.coresPerLlc() - 1) << bits(topology.threadsPerCore()))
                | (topology.threadsPerCore() - 1);
        if (maxApicId > MAX_APIC_ID) {
            throw new TopologyEncodingException("topology " + topology + " needs APIC id " + maxApicId
                    + " (fields rounded up to powers of two); KVM vCPU ids stop at " + MAX_APIC_ID);
        }
    }

    public static ApicIdLayout of(Topology topology) {
        return new ApicIdLayout(topology);
    }

    /** Shorthand for {@code of(new Topology(nodes, llcsPerNode, coresPerLlc, threadsPerCore))}. */
    public static ApicIdLayout of(int nodes, int llcsPerNode, int coresPerLlc, int threadsPerCore) {
        return new ApicIdLayout(new Topology(nodes, llcsPerNode, coresPerLlc, threadsPerCore));
    }

    /** {@code ceil(log2(count))}: the width of an APIC id field holding {@code count} values. */
    static int bits(int count) {
        return count <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(count - 1);
    }

    // The counts, named as the encoders read them; the numbering behind them is Topology's.

    public int numaNodes() {
        return topology.numaNodes();
    }

    public int llcsPerNode() {
        return topology.llcsPerNode();
    }

    public int coresPerLlc() {
        return topology.coresPerLlc();
    }

    public int threadsPerCore() {
        return topology.threadsPerCore();
    }

    public int cpuCount() {
        return topology.cpuCount();
    }

    public int cpusPerNode() {
        return topology.cpusPerNode();
    }

    public int cpusPerLlc() {
        return topology.cpusPerLlc();
    }

    public int nodeOf(int cpu) {
        return topology.nodeOf(cpu);
    }

    public int llcInNode(int cpu) {
        return topology.llcInNode(cpu);
    }

    public int coreInLlc(int cpu) {
        return topology.coreInLlc(cpu);
    }

    public int threadOf(int cpu) {
        return topology.threadOf(cpu);
    }

    public int threadBits() {
        return bits(threadsPerCore());
    }

    public int coreBits() {
        return bits(coresPerLlc());
    }

    public int llcBits() {
        return bits(llcsPerNode());
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

    /** The (initial, x2)APIC id of a CPU. */
    public int apicId(int cpu) {
        return topology.nodeOf(cpu) << nodeShift() | topology.llcInNode(cpu) << llcShift()
                | topology.coreInLlc(cpu) << coreShift() | topology.threadOf(cpu);
    }

    public int maxApicId() {
        return apicId(cpuCount() - 1);
    }

    @Override
    public String toString() {
        return topology.toString();
    }
}
