package dev.jktstr.kvm.acpi;

/**
 * A platform device the DSDT declares under {@code \_SB} with its resources ({@code _CRS}). Our FADT is
 * hardware-reduced, and on such a platform Linux sets up no legacy ISA interrupts: a device reaches its
 * driver with a working interrupt only when the firmware names the device, its registers and its GSI.
 * That is how the serial ports get IRQs 4 and 3 (8250_pnp) and the virtio-mmio windows theirs
 * (virtio_mmio's ACPI id {@code LNRO0005}), with no {@code virtio_mmio.device=} on the command line.
 */
public sealed interface AcpiDevice {

    /** The four-character AML name under {@code \_SB}. */
    String name();

    /** The encoded {@code Device} term. */
    byte[] aml();

    /** A 16550 UART ({@code PNP0501}) at I/O ports {@code port..port+7} on edge-triggered {@code gsi}. */
    record Serial(int uid, int port, int gsi) implements AcpiDevice {
        @Override
        public String name() {
            return "COM" + (uid + 1);
        }

        @Override
        public byte[] aml() {
            return Aml.device(name(),
                    Aml.name("_HID", Aml.eisaId("PNP0501")),
                    Aml.name("_UID", Aml.integer(uid)),
                    Aml.name("_CRS", Aml.resourceTemplate(Aml.ioPorts(port, 8), Aml.edgeInterrupt(gsi))));
        }
    }

    /** A virtio-mmio register window ({@code LNRO0005}) of {@code size} bytes at {@code base} on edge-triggered {@code gsi}. */
    record VirtioMmio(int uid, long base, long size, int gsi) implements AcpiDevice {
        @Override
        public String name() {
            return String.format("VR%02X", uid);
        }

        @Override
        public byte[] aml() {
            return Aml.device(name(),
                    Aml.name("_HID", Aml.string("LNRO0005")),
                    Aml.name("_UID", Aml.integer(uid)),
                    Aml.name("_CRS", Aml.resourceTemplate(Aml.memory32Fixed(base, size), Aml.edgeInterrupt(gsi))));
        }
    }
}
