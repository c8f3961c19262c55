package dev.jktstr.kvm.x86;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The CPU vendor, which decides where the topology lives beyond the common leaves. */
public enum CpuVendor {
    /** Leaf 0x4 for caches; also every vendor we do not know (leaf 0x4/0xB/0x1F are the generic path). */
    INTEL,
    /** Also Hygon: caches in 0x8000001D, node/core ids in 0x8000001E, core count in 0x80000008. */
    AMD;

    /** The vendor string of leaf 0 (EBX, EDX, ECX), e.g. {@code GenuineIntel}. */
    public static String vendorString(List<CpuidEntry> entries) {
        for (CpuidEntry e : entries) {
            if (e.matches(0, 0)) {
                ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(e.ebx()).putInt(e.edx()).putInt(e.ecx());
                return new String(b.array(), StandardCharsets.US_ASCII);
            }
        }
        return "";
    }

    public static CpuVendor of(List<CpuidEntry> entries) {
        String vendor = vendorString(entries);
        return vendor.equals("AuthenticAMD") || vendor.equals("HygonGenuine") ? AMD : INTEL;
    }
}
