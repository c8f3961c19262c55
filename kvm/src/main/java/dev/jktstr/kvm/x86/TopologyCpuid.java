package dev.jktstr.kvm.x86;

import dev.jktstr.kvm.TopologyEncodingException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Per-vCPU CPUID for a {@link ApicIdLayout}: takes what the host supports (the entries
 * {@code KVM_GET_SUPPORTED_CPUID} returns) and rewrites the leaves that describe topology, so that a
 * Linux guest derives exactly the nodes, LLCs, cores and threads asked for.
 *
 * <p>What is rewritten, per vCPU:
 * <ul>
 *   <li>0x0: the highest basic leaf is raised to 0x1F so the guest reads leaf 0x1F.</li>
 *   <li>0x1: EBX[31:24] initial APIC id (its low 8 bits, as hardware does above 255), EBX[23:16]
 *       addressable ids per package (clamped to 255), EDX.HTT, ECX.x2APIC and ECX.hypervisor.</li>
 *   <li>0x4 (Intel) / 0x8000001D (AMD): EAX[25:14] so L1 and L2 are shared by the threads of a core
 *       and L3 by the CPUs of an LLC; EAX[31:26] cores per package (clamped to 63). An L3 is added when
 *       the host reports none, since the LLC is only visible through it.</li>
 *   <li>0xB: SMT and core levels; the core level's shift reaches the package (= NUMA node).</li>
 *   <li>0x1F: SMT, core and die levels, with die = LLC: Linux then reports {@code die_id} per LLC, and
 *       package = NUMA node. (Leaf 0x1F has no "LLC" level; die is the level Linux accepts between
 *       core and package, and the one QEMU uses for the same purpose.)</li>
 *   <li>0x40000000: the KVM signature {@code KVMKVMKVM\0\0\0} and 0x40000001 as the highest hypervisor
 *       leaf; 0x40000001 (KVM features) passes through from the host, or is zero when absent.</li>
 *   <li>AMD only: 0x8000001E (extended APIC id, core id, threads per core, node id), 0x80000008 ECX
 *       (threads per package, APIC id size), 0x80000001 ECX.TopologyExtensions, and 0x80000006 EDX
 *       made non-zero (Linux reads the LLC from 0x8000001D only when it is).</li>
 * </ul>
 * Every other entry is passed through unchanged.
 */
public final class TopologyCpuid {

    public static final int HYPERVISOR_BASE = 0x40000000;
    public static final int KVM_FEATURES = 0x40000001;

    /** {@code KVMKVMKVM\0\0\0} as EBX, ECX, EDX. */
    static final int KVM_SIGNATURE_EBX = 0x4b4d564b;
    static final int KVM_SIGNATURE_ECX = 0x564b4d56;
    static final int KVM_SIGNATURE_EDX = 0x0000004d;

    static final int LEVEL_INVALID = 0;
    static final int LEVEL_SMT = 1;
    static final int LEVEL_CORE = 2;
    static final int LEVEL_DIE = 5;

    private static final int LEAF1_ECX_X2APIC = 1 << 21;
    private static final int LEAF1_ECX_HYPERVISOR = 1 << 31;
    private static final int LEAF1_EDX_HTT = 1 << 28;
    private static final int AMD_ECX_TOPOEXT = 1 << 22;
    /** 0x80000006 EDX for a 32 MiB L3: Linux ignores AMD LLC ids (0x8000001D) when this is zero. */
    private static final int AMD_L3_DESCRIPTOR = 0x01009140;
    /** 0x40000001 EAX bit: the guest may use 15-bit MSI destination ids, needed for APIC ids above 255 without an IOMMU. */
    public static final int KVM_FEATURE_MSI_EXT_DEST_ID = 1 << 15;

    private final ApicIdLayout topology;
    private final List<CpuidEntry> supported;
    private final CpuVendor vendor;

    public TopologyCpuid(ApicIdLayout topology, List<CpuidEntry> supported) {
        this.topology = topology;
        this.supported = List.copyOf(supported);
        this.vendor = CpuVendor.of(this.supported);
        if (this.supported.stream().noneMatch(e -> e.function() == 0)) {
            throw new TopologyEncodingException("the supported CPUID entries have no leaf 0 (vendor, highest leaf)");
        }
        if (this.supported.stream().noneMatch(e -> e.function() == 1)) {
            throw new TopologyEncodingException("the supported CPUID entries have no leaf 1 (APIC id, features)");
        }
    }

    public ApicIdLayout topology() {
        return topology;
    }

    public CpuVendor vendor() {
        return vendor;
    }

    /**
     * Whether the guest can bring up every vCPU: APIC ids above 255 need the KVM feature
     * MSI_EXT_DEST_ID in leaf 0x40000001 (Linux otherwise caps x2APIC ids at 255 without interrupt
     * remapping), and then the VMM must enable {@code KVM_CAP_X2APIC_API} with 32-bit ids.
     */
    public boolean apicIdsReachable() {
        if (topology.maxApicId() <= 255) {
            return true;
        }
        return supported.stream().anyMatch(e -> e.function() == KVM_FEATURES
                && (e.eax() & KVM_FEATURE_MSI_EXT_DEST_ID) != 0);
    }

    /** The CPUID entries for one vCPU (0-based CPU id), ready for {@code KVM_SET_CPUID2}. */
    public List<CpuidEntry> forVcpu(int cpu) {
        int apicId = topology.apicId(cpu);
        boolean amd = vendor == CpuVendor.AMD;
        int cacheLeaf = amd ? 0x8000001D : 0x4;
        List<CpuidEntry> out = new ArrayList<>();
        List<CpuidEntry> caches = new ArrayList<>();
        boolean hasKvmFeatures = false;
        boolean hasAmdSizes = false;
        boolean hasAmdL3 = false;
        for (CpuidEntry e : supported) {
            int f = e.function();
            if (f == cacheLeaf) {
                caches.add(e);
            } else if (f == 0) {
                out.add(e.withEax(Math.max(e.eax(), 0x1F)));
            } else if (f == 1) {
                out.add(leaf1(e, apicId));
            } else if (f == 0xB || f == 0x1F || f == HYPERVISOR_BASE || (amd && f == 0x8000001E)) {
                continue; // regenerated below
            } else if (f == KVM_FEATURES) {
                hasKvmFeatures = true;
                out.add(e);
            } else if (amd && f == 0x80000000) {
                out.add(e.withEax(Integer.compareUnsigned(e.eax(), 0x8000001E) < 0 ? 0x8000001E : e.eax()));
            } else if (amd && f == 0x80000001) {
                out.add(e.withEcx(e.ecx() | AMD_ECX_TOPOEXT));
            } else if (amd && f == 0x80000006) {
                hasAmdL3 = true;
                out.add(e.edx() != 0 ? e : e.withEdx(AMD_L3_DESCRIPTOR));
            } else if (amd && f == 0x80000008) {
                hasAmdSizes = true;
                out.add(amdSizes(e));
            } else {
                out.add(e);
            }
        }
        out.addAll(cacheLeaves(cacheLeaf, caches));
        out.addAll(extendedTopology(0xB, apicId));
        out.addAll(extendedTopology(0x1F, apicId));
        out.add(CpuidEntry.of(HYPERVISOR_BASE, KVM_FEATURES, KVM_SIGNATURE_EBX, KVM_SIGNATURE_ECX, KVM_SIGNATURE_EDX));
        if (!hasKvmFeatures) {
            out.add(CpuidEntry.of(KVM_FEATURES, 0, 0, 0, 0));
        }
        if (amd) {
            if (!hasAmdL3) {
                out.add(CpuidEntry.of(0x80000006, 0, 0, 0, AMD_L3_DESCRIPTOR));
            }
            if (!hasAmdSizes) {
                out.add(amdSizes(CpuidEntry.of(0x80000008, 0x3030, 0, 0, 0)));
            }
            int coreId = apicId >>> topology.coreShift();
            out.add(CpuidEntry.of(0x8000001E, apicId, (topology.threadsPerCore() - 1) << 8 | (coreId & 0xFF),
                    topology.nodeOf(cpu) & 0xFF, 0));
        }
        return List.copyOf(out);
    }

    /** Entries for every vCPU, index = CPU id. */
    public List<List<CpuidEntry>> forAllVcpus() {
        List<List<CpuidEntry>> all = new ArrayList<>();
        for (int cpu = 0; cpu < topology.cpuCount(); cpu++) {
            all.add(forVcpu(cpu));
        }
        return List.copyOf(all);
    }

    private CpuidEntry leaf1(CpuidEntry e, int apicId) {
        int perPackage = Math.min(255, 1 << topology.nodeShift());
        int ebx = (apicId & 0xFF) << 24 | perPackage << 16 | (e.ebx() & 0xFFFF);
        int edx = topology.cpusPerNode() > 1 ? e.edx() | LEAF1_EDX_HTT : e.edx() & ~LEAF1_EDX_HTT;
        return e.withEbx(ebx).withEcx(e.ecx() | LEAF1_ECX_X2APIC | LEAF1_ECX_HYPERVISOR).withEdx(edx);
    }

    private CpuidEntry amdSizes(CpuidEntry e) {
        int threadsPerPackage = Math.min(256, topology.cpusPerNode());
        int ecx = (e.ecx() & ~0xF0FF) | topology.nodeShift() << 12 | (threadsPerPackage - 1);
        return e.withEcx(ecx);
    }

    /**
     * Leaf 0x4 or 0x8000001D: the host's caches with sharing rewritten, and the usual four (L1d, L1i, L2,
     * L3) completed where the host reports fewer — an emulated host (QEMU's TCG, hence the nested proving
     * ground) reports none — so the LLC is always {@code cache/index3} in the guest, as under QEMU.
     */
    private List<CpuidEntry> cacheLeaves(int function, List<CpuidEntry> host) {
        List<CpuidEntry> caches = new ArrayList<>(host.stream()
                .filter(e -> (e.eax() & 0x1F) != 0)
                .toList());
        for (CpuidEntry usual : USUAL_CACHES) {
            if (caches.stream().noneMatch(e -> cacheLevel(e) == cacheLevel(usual) && cacheType(e) == cacheType(usual))) {
                caches.add(usual);
            }
        }
        caches.sort(Comparator.comparingInt(TopologyCpuid::cacheLevel).thenComparingInt(TopologyCpuid::cacheType));
        int coresPerPackageField = Math.min(63, (1 << (topology.nodeShift() - topology.threadBits())) - 1);
        List<CpuidEntry> out = new ArrayList<>();
        for (int i = 0; i < caches.size(); i++) {
            CpuidEntry e = caches.get(i);
            int sharingBits = cacheLevel(e) >= 3 ? topology.llcShift() : topology.threadBits();
            int eax = e.eax() & 0x3FFF | ((1 << sharingBits) - 1) << 14;
            if (function == 0x4) {
                eax |= coresPerPackageField << 26;
            }
            out.add(new CpuidEntry(function, i, CpuidEntry.FLAG_SIGNIFICANT_INDEX, eax, e.ebx(), e.ecx(), e.edx()));
        }
        out.add(CpuidEntry.indexed(function, caches.size(), 0, 0, 0, 0));
        return out;
    }

    static int cacheLevel(CpuidEntry e) {
        return e.eax() >>> 5 & 7;
    }

    /** 1 data, 2 instruction, 3 unified. */
    static int cacheType(CpuidEntry e) {
        return e.eax() & 0x1F;
    }

    /**
     * Stand-ins for caches the host does not report (EAX: type, level, self-initializing; EBX: ways-1 << 22,
     * line-1; ECX: sets-1): 32 KiB 8-way L1d and L1i, 512 KiB 8-way L2, 16 MiB 16-way L3, 64-byte lines.
     */
    private static final List<CpuidEntry> USUAL_CACHES = List.of(
            CpuidEntry.indexed(0, 0, 1 << 5 | 1 << 8 | 1, 7 << 22 | 63, 63, 0),
            CpuidEntry.indexed(0, 0, 1 << 5 | 1 << 8 | 2, 7 << 22 | 63, 63, 0),
            CpuidEntry.indexed(0, 0, 2 << 5 | 1 << 8 | 3, 7 << 22 | 63, 1023, 0),
            CpuidEntry.indexed(0, 0, 3 << 5 | 1 << 8 | 3, 15 << 22 | 63, 16383, 0));

    /** Leaf 0xB (SMT, core) or 0x1F (SMT, core, die), terminated by an invalid level. */
    private List<CpuidEntry> extendedTopology(int function, int apicId) {
        List<int[]> levels = new ArrayList<>(); // {type, shift, logical processors at that level}
        levels.add(new int[] {LEVEL_SMT, topology.coreShift(), topology.threadsPerCore()});
        if (function == 0xB) {
            levels.add(new int[] {LEVEL_CORE, topology.nodeShift(), topology.cpusPerNode()});
        } else {
            levels.add(new int[] {LEVEL_CORE, topology.llcShift(), topology.cpusPerLlc()});
            levels.add(new int[] {LEVEL_DIE, topology.nodeShift(), topology.cpusPerNode()});
        }
        List<CpuidEntry> out = new ArrayList<>();
        for (int i = 0; i < levels.size(); i++) {
            int[] level = levels.get(i);
            out.add(CpuidEntry.indexed(function, i, level[1], level[2] & 0xFFFF, level[0] << 8 | i, apicId));
        }
        out.add(CpuidEntry.indexed(function, levels.size(), 0, 0, LEVEL_INVALID << 8 | levels.size(), apicId));
        return out;
    }
}
