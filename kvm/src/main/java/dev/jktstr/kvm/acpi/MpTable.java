package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.X86Layout;

/**
 * The Intel MultiProcessor Specification 1.4 table: a 16-byte floating pointer followed by the
 * configuration table (processors, one ISA bus, the IO APIC, ISA IRQ routing, LINT0/LINT1). Not ACPI,
 * but a firmware table built the same way; Linux uses it only when booted with {@code acpi=off}.
 *
 * <p>Its APIC ids are 8-bit, so topologies whose APIC ids (or the IO APIC id after them) pass 254
 * cannot be described: {@link #build} throws, and such guests rely on ACPI alone. The IO APIC id is
 * the highest APIC id + 1, since the MP spec wants ids unique on the APIC bus (Firecracker does this).
 */
public final class MpTable {

    static final int FLOATING_POINTER_LENGTH = 16;
    static final int HEADER_LENGTH = 44;
    static final int TYPE_PROCESSOR = 0;
    static final int TYPE_BUS = 1;
    static final int TYPE_IOAPIC = 2;
    static final int TYPE_IO_INTERRUPT = 3;
    static final int TYPE_LOCAL_INTERRUPT = 4;
    static final int INT = 0;
    static final int NMI = 1;
    static final int EXTINT = 3;
    private static final int APIC_VERSION = 0x14;
    private static final int CPU_ENABLED = 1;
    private static final int CPU_BOOTSTRAP = 2;
    /** Family 6; FPU and APIC feature flags. */
    private static final int CPU_SIGNATURE = 0x600;
    private static final int CPU_FEATURES = 1 | 1 << 9;
    private static final int LEVEL_ACTIVE_HIGH = 0x000D;

    private MpTable() {
    }

    /** The table at the default address ({@link X86Layout#MPTABLE_ADDRESS}). */
    public static FirmwareTable build(ApicIdLayout topology) {
        return build(topology, X86Layout.MPTABLE_ADDRESS, X86Layout.MPTABLE_END);
    }

    public static FirmwareTable build(ApicIdLayout topology, long address, long end) {
        int ioapicId = topology.maxApicId() + 1;
        if (ioapicId > 254) {
            throw new TopologyEncodingException("the MP table holds 8-bit APIC ids up to 254; topology " + topology
                    + " needs APIC id " + topology.maxApicId() + " and IO APIC id " + ioapicId + " (boot with ACPI)");
        }
        ByteWriter config = new ByteWriter()
                .ascii("PCMP", 4, ' ')
                .u16(0) // base table length, patched below
                .u8(4) // spec revision 1.4
                .u8(0) // checksum, patched below
                .ascii("JKTSTR", 8, ' ')
                .ascii("JKTSTR VMM", 12, ' ')
                .u32(0).u16(0) // OEM table pointer and size
                .u16(0) // entry count, patched below
                .u32(X86Layout.LOCAL_APIC_ADDRESS)
                .u16(0).u8(0).u8(0); // extended table length, checksum, reserved
        int entries = 0;
        for (int cpu = 0; cpu < topology.cpuCount(); cpu++) {
            config.u8(TYPE_PROCESSOR).u8(topology.apicId(cpu)).u8(APIC_VERSION)
                    .u8(CPU_ENABLED | (cpu == 0 ? CPU_BOOTSTRAP : 0))
                    .u32(CPU_SIGNATURE).u32(CPU_FEATURES).zeros(8);
            entries++;
        }
        config.u8(TYPE_BUS).u8(0).ascii("ISA", 6, ' ');
        entries++;
        config.u8(TYPE_IOAPIC).u8(ioapicId).u8(APIC_VERSION).u8(1).u32(X86Layout.IOAPIC_ADDRESS);
        entries++;
        config.u8(TYPE_IO_INTERRUPT).u8(EXTINT).u16(0).u8(0).u8(0).u8(ioapicId).u8(0);
        entries++;
        for (int irq = 0; irq < X86Layout.ISA_IRQS; irq++) {
            if (irq == 2) {
                continue; // the cascade; IRQ 0 uses pin 2 instead
            }
            int flags = irq == X86Layout.SCI_IRQ ? LEVEL_ACTIVE_HIGH : 0;
            config.u8(TYPE_IO_INTERRUPT).u8(INT).u16(flags).u8(0).u8(irq).u8(ioapicId).u8(irq == 0 ? 2 : irq);
            entries++;
        }
        config.u8(TYPE_LOCAL_INTERRUPT).u8(EXTINT).u16(0).u8(0).u8(0).u8(0xFF).u8(0);
        config.u8(TYPE_LOCAL_INTERRUPT).u8(NMI).u16(0).u8(0).u8(0).u8(0xFF).u8(1);
        entries += 2;
        config.putU16(4, config.size());
        config.putU16(34, entries);
        config.checksum(0, config.size(), 7);

        ByteWriter table = new ByteWriter()
                .ascii("_MP_", 4, ' ')
                .u32(address + FLOATING_POINTER_LENGTH) // the configuration table follows
                .u8(1) // length in 16-byte units
                .u8(4) // spec revision 1.4
                .u8(0) // checksum
                .zeros(5); // feature bytes: 0 = a configuration table is present, no IMCR
        table.checksum(0, FLOATING_POINTER_LENGTH, 10);
        table.bytes(config.toArray());
        if (address % 16 != 0 || address + table.size() > end || address + table.size() > 0xFFFF_FFFFL) {
            throw new TopologyEncodingException(String.format(
                    "the MP table (%d bytes) does not fit 16-byte aligned at 0x%x below 0x%x", table.size(), address, end));
        }
        return new FirmwareTable("MP", address, table.toArray());
    }
}
