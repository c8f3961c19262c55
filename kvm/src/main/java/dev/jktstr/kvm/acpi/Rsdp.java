package dev.jktstr.kvm.acpi;

/** The Root System Description Pointer, revision 2 (ACPI 2.0+): points at the XSDT only. */
public final class Rsdp {

    public static final int LENGTH = 36;

    private Rsdp() {
    }

    public static byte[] build(long xsdtAddress, OemIds oem) {
        ByteWriter w = new ByteWriter()
                .ascii("RSD PTR ", 8, ' ')
                .u8(0) // checksum over the first 20 bytes
                .ascii(oem.oemId(), 6, ' ')
                .u8(2) // revision: 2 = ACPI 2.0+ with XSDT
                .u32(0) // RSDT address: none, guests use the XSDT
                .u32(LENGTH)
                .u64(xsdtAddress)
                .u8(0) // extended checksum over all 36 bytes
                .zeros(3);
        w.checksum(0, 20, 8);
        w.checksum(0, LENGTH, 32);
        return w.toArray();
    }
}
