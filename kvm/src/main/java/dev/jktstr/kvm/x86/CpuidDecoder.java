package dev.jktstr.kvm.x86;

import dev.jktstr.kvm.TopologyEncodingException;
import java.util.List;
import java.util.Optional;

/**
 * Reads a vCPU's topology back from its CPUID entries the way a guest kernel does, knowing nothing of
 * the encoder: the x2APIC id and level shifts from leaf 0x1F (when the highest basic leaf reaches it
 * and it is valid) or else leaf 0xB, and the LLC from the sharing count of the highest-level cache in
 * leaf 0x4 (Intel) or 0x8000001D (AMD). Used as the oracle for {@link TopologyCpuid} and by
 * {@code jktstr cpuid}.
 */
public final class CpuidDecoder {

    private CpuidDecoder() {
    }

    /**
     * A decoded vCPU. {@code node} is the package id, {@code llc} the LLC within the package (from the
     * cache leaf), {@code core} the core within the LLC, {@code thread} the SMT id within the core;
     * {@code die} is the leaf 0x1F die id within the package, or -1 without a die level;
     * {@code amdNodeId} is 0x8000001E ECX[7:0], or -1 where that leaf is absent.
     */
    public record DecodedCpu(int x2apicId, int initialApicId, String topologyLeaf, int node, int llc, int core,
            int thread, int die, int amdNodeId) {
    }

    public static DecodedCpu decode(List<CpuidEntry> entries) {
        int maxBasic = find(entries, 0, 0).orElseThrow(() -> missing("0x0")).eax();
        int leaf = maxBasic >= 0x1F && find(entries, 0x1F, 0).map(e -> e.ebx() & 0xFFFF).orElse(0) != 0 ? 0x1F : 0xB;
        int smtShift = -1;
        int coreShift = -1;
        int dieShift = -1;
        int packageShift = 0;
        int x2apicId = -1;
        for (int i = 0; i < 8; i++) {
            int sub = i;
            CpuidEntry e = find(entries, leaf, sub).orElseThrow(() -> missing(String.format("0x%x/%d", leaf, sub)));
            int type = e.ecx() >>> 8 & 0xFF;
            x2apicId = e.edx();
            if (type == TopologyCpuid.LEVEL_INVALID) {
                break;
            }
            int shift = e.eax() & 0x1F;
            switch (type) {
                case TopologyCpuid.LEVEL_SMT -> smtShift = shift;
                case TopologyCpuid.LEVEL_CORE -> coreShift = shift;
                case TopologyCpuid.LEVEL_DIE -> dieShift = shift;
                default -> { } // module, tile: not produced by us, still part of the package shift
            }
            packageShift = shift;
        }
        if (x2apicId < 0 || smtShift < 0 || coreShift < 0) {
            throw new TopologyEncodingException(String.format("leaf 0x%x has no SMT or core level", leaf));
        }
        int initialApicId = find(entries, 1, 0).orElseThrow(() -> missing("0x1")).ebx() >>> 24;

        boolean amd = CpuVendor.of(entries) == CpuVendor.AMD;
        int cacheLeaf = amd ? 0x8000001D : 0x4;
        if (amd && find(entries, 0x80000006, 0).map(CpuidEntry::edx).orElse(0) == 0) {
            // Linux's cacheinfo_amd_init_llc_id() gives up on a zero L3 descriptor.
            throw new TopologyEncodingException("AMD CPUID leaf 0x80000006 EDX is zero: Linux would not read the LLC");
        }
        int llcLevel = 0;
        int llcShift = -1;
        for (int i = 0; i < 16; i++) {
            Optional<CpuidEntry> e = find(entries, cacheLeaf, i);
            if (e.isEmpty() || (e.get().eax() & 0x1F) == 0) {
                break;
            }
            int level = TopologyCpuid.cacheLevel(e.get());
            if (level >= llcLevel) {
                llcLevel = level;
                llcShift = countOrder((e.get().eax() >>> 14 & 0xFFF) + 1);
            }
        }
        if (llcShift < 0) {
            throw missing(String.format("0x%x (caches)", cacheLeaf));
        }
        int thread = x2apicId & mask(smtShift);
        int core = x2apicId >>> smtShift & mask(llcShift - smtShift);
        int llc = (x2apicId & mask(packageShift)) >>> llcShift;
        int die = dieShift < 0 ? -1 : x2apicId >>> coreShift & mask(dieShift - coreShift);
        int amdNode = find(entries, 0x8000001E, 0).map(e -> e.ecx() & 0xFF).orElse(-1);
        return new DecodedCpu(x2apicId, initialApicId, String.format("0x%X", leaf), x2apicId >>> packageShift, llc,
                core, thread, die, amdNode);
    }

    static Optional<CpuidEntry> find(List<CpuidEntry> entries, int function, int index) {
        return entries.stream().filter(e -> e.matches(function, index)).findFirst();
    }

    private static int mask(int bits) {
        return bits <= 0 ? 0 : bits >= 32 ? -1 : (1 << bits) - 1;
    }

    /** Linux's {@code get_count_order}: ceil(log2(n)). */
    private static int countOrder(int n) {
        return n <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    private static TopologyEncodingException missing(String leaf) {
        return new TopologyEncodingException("CPUID leaf " + leaf + " missing");
    }
}
