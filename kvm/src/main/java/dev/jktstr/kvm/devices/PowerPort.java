package dev.jktstr.kvm.devices;

import dev.jktstr.kvm.BusDevice;
import dev.jktstr.kvm.x86.X86Layout;

/**
 * The one-byte I/O port the FADT names as sleep control and reset register
 * ({@link X86Layout#ACPI_SHUTDOWN_PORT}): {@link X86Layout#ACPI_POWEROFF_VALUE} powers off,
 * {@link X86Layout#ACPI_RESET_VALUE} resets. Test guests use it to stop.
 */
public final class PowerPort implements BusDevice {

    private final Runnable powerOff;
    private final Runnable reset;

    public PowerPort(Runnable powerOff, Runnable reset) {
        this.powerOff = powerOff;
        this.reset = reset;
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xFF;
        if (v == X86Layout.ACPI_POWEROFF_VALUE) {
            powerOff.run();
        } else if (v == X86Layout.ACPI_RESET_VALUE) {
            reset.run();
        }
    }
}
