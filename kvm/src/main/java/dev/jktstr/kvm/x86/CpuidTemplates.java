package dev.jktstr.kvm.x86;

import java.util.List;

/**
 * Fixed stand-ins for {@code KVM_GET_SUPPORTED_CPUID}, for inspecting the topology encoding where
 * no KVM is at hand ({@code jktstr cpuid}, tests). Values are what KVM reports on an Ice Lake server
 * (Intel) and a Zen 3 EPYC (AMD), trimmed to the leaves that matter here; the VMM uses the real list.
 */
public final class CpuidTemplates {

    /** KVM's paravirtual features as 6.x reports them, MSI_EXT_DEST_ID (bit 15) included. */
    static final int KVM_FEATURES_EAX = 0x0103fefb;

    private CpuidTemplates() {
    }

    public static List<CpuidEntry> forVendor(CpuVendor vendor) {
        return vendor == CpuVendor.AMD ? amdZen3() : intelIceLake();
    }

    public static List<CpuidEntry> intelIceLake() {
        return List.of(
                CpuidEntry.of(0x0, 0x1b, 0x756e6547, 0x6c65746e, 0x49656e69), // GenuineIntel
                CpuidEntry.of(0x1, 0x000606a6, 0x00000800, 0xf7fa3223, 0x0f8bfbff),
                CpuidEntry.of(0x2, 0x00feff01, 0, 0, 0x00000000),
                CpuidEntry.indexed(0x4, 0, 0xfc004121, 0x02c0003f, 0x0000003f, 0), // L1d 48K
                CpuidEntry.indexed(0x4, 1, 0xfc004122, 0x01c0003f, 0x0000003f, 0), // L1i 32K
                CpuidEntry.indexed(0x4, 2, 0xfc004143, 0x04c0003f, 0x000003ff, 0), // L2 1.25M
                CpuidEntry.indexed(0x4, 3, 0xfc1fc163, 0x02c0003f, 0x0000ffff, 4), // L3 48M, 128 threads
                CpuidEntry.indexed(0x4, 4, 0, 0, 0, 0),
                CpuidEntry.indexed(0x7, 0, 0, 0xf3bfa7eb, 0x1bc05f6e, 0xac000410),
                CpuidEntry.indexed(0xB, 0, 1, 2, 0x100, 0),
                CpuidEntry.indexed(0xB, 1, 7, 64, 0x201, 0),
                CpuidEntry.indexed(0xD, 0, 0x2e7, 0x2e7, 0xa88, 0),
                CpuidEntry.indexed(0xD, 1, 0xf, 0x2e7, 0, 0),
                CpuidEntry.of(0x80000000, 0x80000008, 0, 0, 0),
                CpuidEntry.of(0x80000001, 0, 0, 0x00000121, 0x2c100800),
                CpuidEntry.of(0x80000006, 0, 0, 0x05008040, 0),
                CpuidEntry.of(0x80000008, 0x00003030, 0x00000200, 0, 0),
                CpuidEntry.of(TopologyCpuid.HYPERVISOR_BASE, 0x40000001, TopologyCpuid.KVM_SIGNATURE_EBX,
                        TopologyCpuid.KVM_SIGNATURE_ECX, TopologyCpuid.KVM_SIGNATURE_EDX),
                CpuidEntry.of(TopologyCpuid.KVM_FEATURES, KVM_FEATURES_EAX, 0, 0, 0));
    }

    public static List<CpuidEntry> amdZen3() {
        return List.of(
                CpuidEntry.of(0x0, 0x10, 0x68747541, 0x444d4163, 0x69746e65), // AuthenticAMD
                CpuidEntry.of(0x1, 0x00a00f11, 0x00000800, 0xfef83203, 0x178bfbff),
                CpuidEntry.indexed(0x7, 0, 0, 0x219c97a9, 0x0040068c, 0x00000010),
                CpuidEntry.indexed(0xD, 0, 0x207, 0x340, 0x988, 0),
                CpuidEntry.of(0x80000000, 0x80000021, 0x68747541, 0x444d4163, 0x69746e65),
                CpuidEntry.of(0x80000001, 0x00a00f11, 0x40000000, 0x75c237ff, 0x2fd3fbff),
                CpuidEntry.of(0x80000006, 0x48002200, 0x68004200, 0x02006140, 0x01009140),
                CpuidEntry.of(0x80000008, 0x00003030, 0x111ef657, 0x0000707f, 0x00010000),
                CpuidEntry.indexed(0x8000001D, 0, 0x00004121, 0x01c0003f, 0x0000003f, 0), // L1d 32K
                CpuidEntry.indexed(0x8000001D, 1, 0x00004122, 0x01c0003f, 0x0000003f, 0), // L1i 32K
                CpuidEntry.indexed(0x8000001D, 2, 0x00004143, 0x01c0003f, 0x000003ff, 2), // L2 512K
                CpuidEntry.indexed(0x8000001D, 3, 0x0003c163, 0x03c0003f, 0x00007fff, 1), // L3 32M, 16 threads
                CpuidEntry.indexed(0x8000001D, 4, 0, 0, 0, 0),
                CpuidEntry.of(0x8000001E, 0x0000000e, 0x00000107, 0, 0),
                CpuidEntry.of(TopologyCpuid.HYPERVISOR_BASE, 0x40000001, TopologyCpuid.KVM_SIGNATURE_EBX,
                        TopologyCpuid.KVM_SIGNATURE_ECX, TopologyCpuid.KVM_SIGNATURE_EDX),
                CpuidEntry.of(TopologyCpuid.KVM_FEATURES, KVM_FEATURES_EAX, 0, 0, 0));
    }
}
