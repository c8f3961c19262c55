package dev.jktstr.kvm.x86;

/**
 * Guest-physical addresses and legacy numbers of the x86 machine our VMM builds, in one place (as
 * Firecracker's {@code arch/x86_64/layout.rs}). The VMM must mark 0xE0000–0xFFFFF reserved in E820.
 */
public final class X86Layout {

    private X86Layout() {
    }

    /** Where the local APICs are (MADT header, MP table header). */
    public static final long LOCAL_APIC_ADDRESS = 0xFEE0_0000L;

    /** The one IO APIC (KVM's in-kernel irqchip). */
    public static final long IOAPIC_ADDRESS = 0xFEC0_0000L;

    /** KVM's in-kernel IO APIC has 24 pins. */
    public static final int IOAPIC_PINS = 24;

    /** ISA IRQs routed through the IO APIC (0–15); IRQ 0 arrives on pin 2. */
    public static final int ISA_IRQS = 16;

    /** The ACPI SCI line: IRQ 9, level, active high, as PC chipsets have it. */
    public static final int SCI_IRQ = 9;

    /** RSDP: Linux scans 0xE0000–0xFFFFF for it on 16-byte boundaries. */
    public static final long ACPI_RSDP_ADDRESS = 0x000E_0000L;

    /** The other ACPI tables, up to {@link #ACPI_TABLES_END}. */
    public static final long ACPI_TABLES_ADDRESS = 0x000E_0040L;

    public static final long ACPI_TABLES_END = 0x000F_0000L;

    /** MP floating pointer, followed by its configuration table, up to {@link #MPTABLE_END}. */
    public static final long MPTABLE_ADDRESS = 0x000F_0000L;

    public static final long MPTABLE_END = 0x0010_0000L;

    /**
     * The I/O port of the FADT's sleep control/status and reset registers (the Cloud Hypervisor
     * choice): a byte write of 0x34 (SLP_TYP 5 from {@code \_S5}, SLP_EN) means power off, 0x01 reset.
     */
    public static final int ACPI_SHUTDOWN_PORT = 0x3C0;

    public static final int ACPI_POWEROFF_VALUE = 5 << 2 | 1 << 5;

    public static final int ACPI_RESET_VALUE = 1;

    /** RAM stops below this 32-bit address and resumes at 4 GiB (room for MMIO, APICs). */
    public static final long MMIO_HOLE_START = 0xC000_0000L;

    public static final long MMIO_HOLE_END = 1L << 32;

    /** virtio-mmio register windows: one 4 KiB page per device from here, inside the 32-bit MMIO hole. */
    public static final long VIRTIO_MMIO_BASE = 0xD000_0000L;
    public static final long VIRTIO_MMIO_STRIDE = 0x1000;
    /** ISA interrupts free for virtio (COM1 4, COM2 3, PIT 0, keyboard 1, cascade 2, RTC 8, SCI 9, FPU 13 are taken). */
    private static final int[] VIRTIO_IRQS = {5, 6, 7, 10, 11, 12, 14, 15};
    public static final int VIRTIO_SLOTS = VIRTIO_IRQS.length;

    /** The interrupt of virtio slot {@code slot} (0 ≤ slot &lt; {@link #VIRTIO_SLOTS}). */
    public static int virtioIrq(int slot) {
        return VIRTIO_IRQS[slot];
    }
}
