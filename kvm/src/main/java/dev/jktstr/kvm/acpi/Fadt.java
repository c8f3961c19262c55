package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.x86.X86Layout;

/**
 * The Fixed ACPI Description Table, revision 6.5 (276 bytes), in hardware-reduced mode, which is what
 * a minimal VMM needs and what Linux accepts (Firecracker and Cloud Hypervisor do the same):
 * <ul>
 *   <li>HW_REDUCED_ACPI: no PM1 event/control blocks, no PM timer, no GPEs, no SMI command port, so
 *       no fixed-hardware ports to emulate. Linux then uses kvm-clock/TSC instead of acpi_pm and needs
 *       no SCI to boot (SCI_INT is still 9, matching the MADT override, for guests that look).</li>
 *   <li>Sleep control/status registers at I/O port {@link X86Layout#ACPI_SHUTDOWN_PORT}: Linux powers
 *       off by writing {@code SLP_TYP << 2 | SLP_EN} with SLP_TYP from the DSDT's {@code \_S5}
 *       (= {@link X86Layout#ACPI_POWEROFF_VALUE}).</li>
 *   <li>Reset register at the same port, value {@link X86Layout#ACPI_RESET_VALUE} (RESET_REG_SUP).</li>
 *   <li>IAPC_BOOT_ARCH: no 8042, no VGA, no CMOS RTC. The VMM's i8042 only takes the reset command
 *       ({@code reboot=k} writes port 0x64 whatever the flags say) and its CMOS only answers reads
 *       (the kernel's wall clock without kvmclock): neither has an interrupt on a platform without
 *       legacy IRQs, so Linux must not probe drivers for them (both failed with -EINVAL).</li>
 *   <li>Both DSDT and X_DSDT point at the DSDT.</li>
 * </ul>
 */
public final class Fadt {

    public static final int LENGTH = 276;

    static final int FLAG_PWR_BUTTON = 1 << 4;
    static final int FLAG_SLP_BUTTON = 1 << 5;
    static final int FLAG_RESET_REG_SUP = 1 << 10;
    static final int FLAG_HW_REDUCED_ACPI = 1 << 20;
    static final int BOOT_ARCH_8042 = 1 << 1;
    static final int BOOT_ARCH_VGA_NOT_PRESENT = 1 << 2;
    static final int BOOT_ARCH_CMOS_RTC_NOT_PRESENT = 1 << 5;
    private static final int SPACE_SYSTEM_IO = 1;
    private static final int ACCESS_BYTE = 1;

    private Fadt() {
    }

    public static byte[] build(long dsdtAddress, OemIds oem) {
        Sdt t = new Sdt("FACP", 6, oem);
        ByteWriter w = t.body;
        w.u32(0) // FIRMWARE_CTRL: no FACS in hardware-reduced mode
                .u32(dsdtAddress <= 0xFFFF_FFFFL ? dsdtAddress : 0)
                .u8(0) // reserved
                .u8(0) // preferred PM profile: unspecified
                .u16(X86Layout.SCI_IRQ)
                .u32(0) // SMI_CMD
                .u8(0).u8(0).u8(0).u8(0) // ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
                .zeros(8 * 4) // PM1a/b event, PM1a/b control, PM2 control, PM timer, GPE0, GPE1 blocks
                .zeros(8) // their lengths, GPE1 base, CST_CNT
                .u16(0).u16(0) // P_LVL2_LAT, P_LVL3_LAT
                .u16(0).u16(0) // FLUSH_SIZE, FLUSH_STRIDE
                .u8(0).u8(0).u8(0).u8(0).u8(0) // DUTY_OFFSET, DUTY_WIDTH, DAY_ALRM, MON_ALRM, CENTURY
                .u16(BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_CMOS_RTC_NOT_PRESENT)
                .u8(0) // reserved
                .u32(FLAG_PWR_BUTTON | FLAG_SLP_BUTTON | FLAG_RESET_REG_SUP | FLAG_HW_REDUCED_ACPI);
        ioRegister(w, X86Layout.ACPI_SHUTDOWN_PORT); // RESET_REG
        w.u8(X86Layout.ACPI_RESET_VALUE)
                .u16(0) // ARM_BOOT_ARCH
                .u8(5) // FADT minor version: 6.5
                .u64(0) // X_FIRMWARE_CTRL
                .u64(dsdtAddress)
                .zeros(8 * 12); // X_PM1a_EVT .. X_GPE1 blocks
        ioRegister(w, X86Layout.ACPI_SHUTDOWN_PORT); // SLEEP_CONTROL_REG
        ioRegister(w, X86Layout.ACPI_SHUTDOWN_PORT); // SLEEP_STATUS_REG
        w.ascii("JKTSTR", 8, '\0'); // hypervisor vendor identity
        return t.finish();
    }

    /** A Generic Address Structure for one byte in I/O space. */
    private static void ioRegister(ByteWriter w, int port) {
        w.u8(SPACE_SYSTEM_IO).u8(8).u8(0).u8(ACCESS_BYTE).u64(port);
    }
}
