package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.ApicIdLayout;
import java.util.List;

/**
 * The System Resource Affinity Table, revision 3: per vCPU a Processor Local APIC Affinity entry
 * (x2APIC Affinity above APIC id {@value Madt#MAX_XAPIC_ID}) with proximity domain = NUMA node, and a
 * Memory Affinity entry per RAM range.
 */
public final class Srat {

    static final int TYPE_PROCESSOR_AFFINITY = 0;
    static final int TYPE_MEMORY_AFFINITY = 1;
    static final int TYPE_X2APIC_AFFINITY = 2;
    private static final int ENABLED = 1;

    private Srat() {
    }

    public static byte[] build(ApicIdLayout topology, List<MemoryAffinity> memory, OemIds oem) {
        for (MemoryAffinity m : memory) {
            if (m.node() >= topology.numaNodes()) {
                throw new TopologyEncodingException("memory range at 0x" + Long.toHexString(m.base()) + " is on node "
                        + m.node() + " but the topology has " + topology.numaNodes() + " nodes");
            }
        }
        for (int node = 0; node < topology.numaNodes(); node++) {
            int n = node;
            if (memory.stream().noneMatch(m -> m.node() == n)) {
                throw new TopologyEncodingException("node " + node + " has no memory range; Linux would fold its CPUs into another node");
            }
        }
        Sdt t = new Sdt("SRAT", 3, oem);
        ByteWriter w = t.body;
        w.u32(1).u64(0); // reserved: 1 for compatibility, then 8 reserved bytes
        for (int cpu = 0; cpu < topology.cpuCount(); cpu++) {
            int apicId = topology.apicId(cpu);
            int node = topology.nodeOf(cpu);
            if (apicId <= Madt.MAX_XAPIC_ID) {
                w.u8(TYPE_PROCESSOR_AFFINITY).u8(16).u8(node).u8(apicId).u32(ENABLED)
                        .u8(0) // local SAPIC EID
                        .u8(node >>> 8).u8(node >>> 16).u8(node >>> 24)
                        .u32(0); // clock domain
            } else {
                w.u8(TYPE_X2APIC_AFFINITY).u8(24).u16(0).u32(node).u32(apicId).u32(ENABLED).u32(0).u32(0);
            }
        }
        for (MemoryAffinity m : memory) {
            w.u8(TYPE_MEMORY_AFFINITY).u8(40).u32(m.node()).u16(0)
                    .u64(m.base()).u64(m.length())
                    .u32(0).u32(ENABLED).u64(0);
        }
        return t.finish();
    }
}
