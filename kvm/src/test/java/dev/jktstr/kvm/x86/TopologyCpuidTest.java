package dev.jktstr.kvm.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kvm.TopologyEncodingException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class TopologyCpuidTest {

    static Stream<Arguments> topologies() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {
            {1, 1, 1, 1}, {1, 1, 4, 2}, {2, 2, 2, 2}, {1, 3, 3, 3}, {4, 1, 5, 1},
            {3, 5, 5, 3}, // 225 CPUs, APIC ids to 658: x2APIC
            {2, 4, 16, 2}, // 256 CPUs, APIC ids to 255: x2APIC
            {4, 3, 24, 2}, // 576 CPUs, APIC ids to 943
        };
        for (int[] s : shapes) {
            for (CpuVendor vendor : CpuVendor.values()) {
                out.add(Arguments.of(ApicIdLayout.of(s[0], s[1], s[2], s[3]), vendor));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("topologies")
    void everyVcpuDecodesBackToItsPlace(ApicIdLayout t, CpuVendor vendor) {
        TopologyCpuid cpuid = new TopologyCpuid(t, CpuidTemplates.forVendor(vendor));
        assertThat(cpuid.vendor()).isEqualTo(vendor);
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            CpuidDecoder.DecodedCpu d = CpuidDecoder.decode(cpuid.forVcpu(cpu));
            String where = "cpu " + cpu + " of " + t + " " + vendor;
            assertThat(d.x2apicId()).as(where).isEqualTo(t.apicId(cpu));
            assertThat(d.initialApicId()).as(where).isEqualTo(t.apicId(cpu) & 0xFF);
            assertThat(d.topologyLeaf()).as(where).isEqualTo("0x1F");
            assertThat(d.node()).as(where).isEqualTo(t.nodeOf(cpu));
            assertThat(d.llc()).as(where).isEqualTo(t.llcInNode(cpu));
            assertThat(d.die()).as(where + ": leaf 0x1F die = LLC").isEqualTo(t.llcInNode(cpu));
            assertThat(d.core()).as(where).isEqualTo(t.coreInLlc(cpu));
            assertThat(d.thread()).as(where).isEqualTo(t.threadOf(cpu));
            assertThat(d.amdNodeId()).as(where).isEqualTo(vendor == CpuVendor.AMD ? t.nodeOf(cpu) : -1);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("topologies")
    void leafBAloneGivesTheSamePackagesCoresAndThreads(ApicIdLayout t, CpuVendor vendor) {
        TopologyCpuid cpuid = new TopologyCpuid(t, CpuidTemplates.forVendor(vendor));
        for (int cpu = 0; cpu < t.cpuCount(); cpu += Math.max(1, t.cpuCount() / 37)) {
            // A guest whose highest basic leaf stops before 0x1F reads leaf 0xB.
            List<CpuidEntry> entries = cpuid.forVcpu(cpu).stream()
                    .map(e -> e.function() == 0 ? e.withEax(0x1B) : e).toList();
            CpuidDecoder.DecodedCpu d = CpuidDecoder.decode(entries);
            assertThat(d.topologyLeaf()).isEqualTo("0xB");
            assertThat(d.die()).isEqualTo(-1);
            assertThat(List.of(d.node(), d.llc(), d.core(), d.thread()))
                    .isEqualTo(List.of(t.nodeOf(cpu), t.llcInNode(cpu), t.coreInLlc(cpu), t.threadOf(cpu)));
        }
    }

    @Test
    void randomTopologiesDecodeBack() {
        java.util.Random random = new java.util.Random(20261127);
        int checked = 0;
        while (checked < 300) {
            int n = 1 + random.nextInt(8);
            int l = 1 + random.nextInt(9);
            int c = 1 + random.nextInt(33);
            int th = 1 + random.nextInt(4);
            if ((long) n * l * c * th > dev.jktstr.machine.Topology.MAX_CPUS) {
                continue;
            }
            ApicIdLayout t = ApicIdLayout.of(n, l, c, th);
            CpuVendor vendor = random.nextBoolean() ? CpuVendor.INTEL : CpuVendor.AMD;
            TopologyCpuid cpuid = new TopologyCpuid(t, CpuidTemplates.forVendor(vendor));
            for (int k = 0; k < 8; k++) {
                int cpu = k == 0 ? t.cpuCount() - 1 : random.nextInt(t.cpuCount());
                CpuidDecoder.DecodedCpu d = CpuidDecoder.decode(cpuid.forVcpu(cpu));
                assertThat(List.of(d.x2apicId(), d.node(), d.llc(), d.core(), d.thread()))
                        .as("cpu " + cpu + " of " + t + " " + vendor)
                        .isEqualTo(List.of(t.apicId(cpu), t.nodeOf(cpu), t.llcInNode(cpu), t.coreInLlc(cpu), t.threadOf(cpu)));
            }
            checked++;
        }
    }

    @Test
    void commonLeavesAreRewrittenAndTheRestPassesThrough() {
        ApicIdLayout t = ApicIdLayout.of(2, 2, 4, 2);
        List<CpuidEntry> host = CpuidTemplates.intelIceLake();
        List<CpuidEntry> vcpu = new TopologyCpuid(t, host).forVcpu(13);
        CpuidEntry leaf0 = find(vcpu, 0, 0);
        assertThat(leaf0.eax()).isEqualTo(0x1F);
        assertThat(CpuVendor.vendorString(vcpu)).isEqualTo("GenuineIntel");
        CpuidEntry leaf1 = find(vcpu, 1, 0);
        assertThat(leaf1.ebx() >>> 24).isEqualTo(t.apicId(13));
        assertThat(leaf1.ebx() >>> 16 & 0xFF).isEqualTo(16); // 1 << (1 + 2 + 1) ids per package
        assertThat(leaf1.ebx() & 0xFFFF).isEqualTo(find(host, 1, 0).ebx() & 0xFFFF);
        assertThat(leaf1.edx() & 1 << 28).as("HTT").isNotZero();
        assertThat(leaf1.ecx() & 1 << 21).as("x2APIC").isNotZero();
        assertThat(leaf1.ecx() & 1 << 31).as("hypervisor").isNotZero();
        assertThat(leaf1.eax()).isEqualTo(find(host, 1, 0).eax());
        assertThat(find(vcpu, 7, 0)).isEqualTo(find(host, 7, 0));
        assertThat(find(vcpu, 0xD, 1)).isEqualTo(find(host, 0xD, 1));
        // Leaf 4: L1d/L1i/L2 per core (2 threads), L3 per LLC (4 cores x 2 threads), 16 cores per package.
        assertThat(sharing(find(vcpu, 4, 0))).isEqualTo(2);
        assertThat(sharing(find(vcpu, 4, 1))).isEqualTo(2);
        assertThat(sharing(find(vcpu, 4, 2))).isEqualTo(2);
        assertThat(sharing(find(vcpu, 4, 3))).isEqualTo(8);
        assertThat((find(vcpu, 4, 3).eax() >>> 26) + 1).isEqualTo(8);
        assertThat(find(vcpu, 4, 3).ecx()).isEqualTo(find(host, 4, 3).ecx()); // geometry kept
        assertThat(find(vcpu, 4, 4).eax() & 0x1F).isZero();
        // Hypervisor leaves.
        CpuidEntry hv = find(vcpu, 0x40000000, 0);
        assertThat(hv.eax()).isEqualTo(0x40000001);
        assertThat(ascii(hv.ebx(), hv.ecx(), hv.edx())).isEqualTo("KVMKVMKVM\0\0\0");
        assertThat(find(vcpu, 0x40000001, 0)).isEqualTo(find(host, 0x40000001, 0));
        // One entry per (function, index): KVM_SET_CPUID2 takes the first match only.
        assertThat(vcpu.stream().map(e -> e.function() + "/" + (e.hasSignificantIndex() ? e.index() : -1)).distinct())
                .hasSize(vcpu.size());
    }

    @Test
    void anL3IsAddedWhenTheHostReportsNoneAndKvmFeaturesDefaultToZero() {
        List<CpuidEntry> host = CpuidTemplates.intelIceLake().stream()
                .filter(e -> !(e.function() == 4 && e.index() >= 3) && e.function() != 0x40000001).toList();
        ApicIdLayout t = ApicIdLayout.of(1, 2, 2, 1);
        List<CpuidEntry> vcpu = new TopologyCpuid(t, host).forVcpu(3);
        assertThat(TopologyCpuid.cacheLevel(find(vcpu, 4, 3))).isEqualTo(3);
        assertThat(sharing(find(vcpu, 4, 3))).isEqualTo(2);
        assertThat(find(vcpu, 4, 4).eax()).isZero();
        assertThat(find(vcpu, 0x40000001, 0)).isEqualTo(CpuidEntry.of(0x40000001, 0, 0, 0, 0));
        assertThat(CpuidDecoder.decode(vcpu).llc()).isEqualTo(1);
    }

    @Test
    void anEmulatedHostWithoutCacheLeavesGetsTheUsualFourSoTheLlcIsIndex3() {
        // QEMU's TCG reports no 0x8000001D: the nested proving ground's guests showed no cache/index3 at all.
        List<CpuidEntry> host = CpuidTemplates.amdZen3().stream().filter(e -> e.function() != 0x8000001D).toList();
        ApicIdLayout t = ApicIdLayout.of(1, 4, 2, 1);
        List<CpuidEntry> vcpu = new TopologyCpuid(t, host).forVcpu(5);
        int[][] levelAndType = {{1, 1}, {1, 2}, {2, 3}, {3, 3}};
        for (int i = 0; i < 4; i++) {
            CpuidEntry e = find(vcpu, 0x8000001D, i);
            assertThat(new int[] {TopologyCpuid.cacheLevel(e), TopologyCpuid.cacheType(e)}).as("index %d", i)
                    .containsExactly(levelAndType[i]);
        }
        assertThat(find(vcpu, 0x8000001D, 4).eax()).isZero();
        assertThat(sharing(find(vcpu, 0x8000001D, 3))).isEqualTo(2); // the LLC: 2 cores x 1 thread
        assertThat(sharing(find(vcpu, 0x8000001D, 2))).isEqualTo(1);
        assertThat(CpuidDecoder.decode(vcpu).llc()).isEqualTo(2);
    }

    @Test
    void amdLeavesCarryNodeCoreAndPackageSize() {
        ApicIdLayout t = ApicIdLayout.of(2, 2, 3, 2);
        List<CpuidEntry> vcpu = new TopologyCpuid(t, CpuidTemplates.amdZen3()).forVcpu(19); // node 1, llc 1, core 0, thread 1
        CpuidEntry e = find(vcpu, 0x8000001E, 0);
        assertThat(e.eax()).isEqualTo(t.apicId(19));
        assertThat(e.ebx() >>> 8 & 0xFF).isEqualTo(1); // threads per core - 1
        assertThat(e.ebx() & 0xFF).isEqualTo(t.apicId(19) >>> 1);
        assertThat(e.ecx() & 0xFF).isEqualTo(1);
        CpuidEntry sizes = find(vcpu, 0x80000008, 0);
        assertThat(sizes.ecx() & 0xFF).isEqualTo(11); // 12 threads per package - 1
        assertThat(sizes.ecx() >>> 12 & 0xF).isEqualTo(t.nodeShift());
        assertThat(find(vcpu, 0x80000001, 0).ecx() & 1 << 22).as("TopologyExtensions").isNotZero();
        assertThat(sharing(find(vcpu, 0x8000001D, 3))).isEqualTo(8); // 3 cores x 2 threads, rounded up
        assertThat(vcpu.stream().noneMatch(x -> x.function() == 4)).isTrue();
    }

    @Test
    void amdGetsAnL3DescriptorWhenTheHostHasNone() {
        List<CpuidEntry> host = CpuidTemplates.amdZen3().stream().filter(e -> e.function() != 0x80000006).toList();
        List<CpuidEntry> vcpu = new TopologyCpuid(ApicIdLayout.of(1, 2, 2, 2), host).forVcpu(5);
        assertThat(find(vcpu, 0x80000006, 0).edx()).isNotZero();
        assertThat(CpuidDecoder.decode(vcpu).llc()).isEqualTo(1);
        List<CpuidEntry> zeroed = vcpu.stream().map(e -> e.function() == 0x80000006 ? e.withEdx(0) : e).toList();
        assertThatThrownBy(() -> CpuidDecoder.decode(zeroed))
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("0x80000006");
    }

    @Test
    void apicIdsAbove255NeedExtendedMsiDestinationIds() {
        ApicIdLayout big = ApicIdLayout.of(3, 5, 5, 3); // APIC ids to 658
        assertThat(new TopologyCpuid(big, CpuidTemplates.intelIceLake()).apicIdsReachable()).isTrue();
        List<CpuidEntry> old = CpuidTemplates.intelIceLake().stream()
                .map(e -> e.function() == TopologyCpuid.KVM_FEATURES
                        ? e.withEax(e.eax() & ~TopologyCpuid.KVM_FEATURE_MSI_EXT_DEST_ID) : e).toList();
        assertThat(new TopologyCpuid(big, old).apicIdsReachable()).isFalse();
        assertThat(new TopologyCpuid(ApicIdLayout.of(2, 4, 16, 2), old).apicIdsReachable()).isTrue(); // max 255
    }

    @Test
    void rejectsASupportedListWithoutLeaf0Or1() {
        List<CpuidEntry> noLeaf0 = CpuidTemplates.intelIceLake().stream().filter(e -> e.function() != 0).toList();
        assertThatThrownBy(() -> new TopologyCpuid(ApicIdLayout.of(1, 1, 1, 1), noLeaf0))
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("leaf 0");
        assertThatThrownBy(() -> CpuidDecoder.decode(List.of(CpuidEntry.of(0, 0x1F, 0, 0, 0))))
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("missing");
    }

    static int sharing(CpuidEntry leaf4) {
        return (leaf4.eax() >>> 14 & 0xFFF) + 1;
    }

    static CpuidEntry find(List<CpuidEntry> entries, int function, int index) {
        return CpuidDecoder.find(entries, function, index).orElseThrow();
    }

    static String ascii(int... regs) {
        StringBuilder sb = new StringBuilder();
        for (int r : regs) {
            for (int i = 0; i < 4; i++) {
                sb.append((char) (r >>> 8 * i & 0xFF));
            }
        }
        return sb.toString();
    }
}
