package dev.jktstr.kvm.acpi;

import java.util.List;

/** The Extended System Description Table: 64-bit pointers to every other table except the DSDT. */
public final class Xsdt {

    private Xsdt() {
    }

    public static byte[] build(List<Long> tableAddresses, OemIds oem) {
        Sdt t = new Sdt("XSDT", 1, oem);
        for (long address : tableAddresses) {
            t.body.u64(address);
        }
        return t.finish();
    }
}
