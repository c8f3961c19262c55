package dev.jktstr.kvm.acpi;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * A complete, laid-out set of ACPI tables: the RSDP and every table it leads to, each with its
 * guest-physical address. The VMM copies each {@link FirmwareTable#bytes()} to its address and hands
 * {@link #rsdpAddress()} to the kernel ({@code boot_params.acpi_rsdp_addr}; Linux also finds it by
 * scanning 0xE0000–0xFFFFF).
 */
public record AcpiTables(long rsdpAddress, List<FirmwareTable> tables) {

    public AcpiTables {
        tables = List.copyOf(tables);
    }

    /** The table with this signature ({@code RSDP}, {@code XSDT}, {@code FACP}, {@code DSDT}, {@code APIC}, {@code SRAT}, {@code SLIT}). */
    public FirmwareTable table(String signature) {
        return tables.stream().filter(t -> t.signature().equals(signature)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("no ACPI table " + signature));
    }
}
