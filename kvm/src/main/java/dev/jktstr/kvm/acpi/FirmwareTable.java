package dev.jktstr.kvm.acpi;

import java.util.Arrays;

/**
 * One generated firmware table (ACPI or MP) and the guest-physical address it was laid out for (pointers inside
 * the tables refer to those addresses). {@code signature} is the ACPI signature ({@code APIC},
 * {@code DSDT}, …; {@code RSDP} for the root pointer, {@code MP} for the MP table).
 */
public record FirmwareTable(String signature, long address, byte[] bytes) {

    public FirmwareTable {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FirmwareTable t && t.signature.equals(signature) && t.address == address
                && Arrays.equals(t.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return signature.hashCode() * 31 + Long.hashCode(address) * 17 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return String.format("%s at 0x%x, %d bytes", signature, address, bytes.length);
    }
}
