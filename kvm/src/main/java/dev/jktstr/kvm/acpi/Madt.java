package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.X86Layout;

/**
 * The Multiple APIC Description Table (signature {@code APIC}), revision 5:
 * <ul>
 *   <li>per vCPU a Local APIC entry when its APIC id is at most {@value #MAX_XAPIC_ID}, a Local x2APIC
 *       entry otherwise (255 is the xAPIC broadcast id); the ACPI processor UID is the CPU id, which is
 *       also the DSDT processor device's _UID;</li>
 *   <li>the IO APIC (id {@value #IOAPIC_ID}, GSI base 0) at {@link X86Layout#IOAPIC_ADDRESS};</li>
 *   <li>interrupt source overrides ISA IRQ 0 → GSI 2 and the SCI (IRQ 9, level, active high);</li>
 *   <li>Local APIC NMI on LINT1 for all processors (and the x2APIC form when x2APIC entries exist).</li>
 * </ul>
 * The PCAT_COMPAT flag is set: KVM's in-kernel irqchip includes the dual 8259.
 */
public final class Madt {

    public static final int MAX_XAPIC_ID = 254;
    public static final int IOAPIC_ID = 0;

    static final int TYPE_LOCAL_APIC = 0;
    static final int TYPE_IO_APIC = 1;
    static final int TYPE_INTERRUPT_OVERRIDE = 2;
    static final int TYPE_LOCAL_APIC_NMI = 4;
    static final int TYPE_LOCAL_X2APIC = 9;
    static final int TYPE_LOCAL_X2APIC_NMI = 10;
    private static final int ENABLED = 1;
    private static final int PCAT_COMPAT = 1;
    /** MPS INTI flags: active high (01), level triggered (11 << 2). */
    private static final int LEVEL_ACTIVE_HIGH = 0x000D;

    private Madt() {
    }

    public static byte[] build(ApicIdLayout topology, OemIds oem) {
        Sdt t = new Sdt("APIC", 5, oem);
        ByteWriter w = t.body;
        w.u32(X86Layout.LOCAL_APIC_ADDRESS).u32(PCAT_COMPAT);
        boolean anyX2apic = false;
        for (int cpu = 0; cpu < topology.cpuCount(); cpu++) {
            int apicId = topology.apicId(cpu);
            if (apicId <= MAX_XAPIC_ID) {
                // APIC ids grow with CPU ids and never fall below them, so the UID fits a byte here too.
                w.u8(TYPE_LOCAL_APIC).u8(8).u8(cpu).u8(apicId).u32(ENABLED);
            } else {
                anyX2apic = true;
                w.u8(TYPE_LOCAL_X2APIC).u8(16).u16(0).u32(apicId).u32(ENABLED).u32(cpu);
            }
        }
        w.u8(TYPE_IO_APIC).u8(12).u8(IOAPIC_ID).u8(0).u32(X86Layout.IOAPIC_ADDRESS).u32(0);
        w.u8(TYPE_INTERRUPT_OVERRIDE).u8(10).u8(0).u8(0).u32(2).u16(0);
        w.u8(TYPE_INTERRUPT_OVERRIDE).u8(10).u8(0).u8(X86Layout.SCI_IRQ).u32(X86Layout.SCI_IRQ).u16(LEVEL_ACTIVE_HIGH);
        w.u8(TYPE_LOCAL_APIC_NMI).u8(6).u8(0xFF).u16(0).u8(1);
        if (anyX2apic) {
            w.u8(TYPE_LOCAL_X2APIC_NMI).u8(12).u16(0).u32(0xFFFF_FFFFL).u8(1).zeros(3);
        }
        return t.finish();
    }
}
