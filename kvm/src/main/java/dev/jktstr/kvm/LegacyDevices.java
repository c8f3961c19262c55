package dev.jktstr.kvm;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.acpi.AcpiDevice;
import dev.jktstr.kvm.devices.Cmos;
import dev.jktstr.kvm.devices.I8042;
import dev.jktstr.kvm.devices.PostCodePort;
import dev.jktstr.kvm.devices.PowerPort;
import dev.jktstr.kvm.devices.Serial16550;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.machine.ConsoleLog;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.nativeio.EventFd;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PC devices on the port-I/O bus (Firecracker's {@code PortIODeviceManager}): COM1 (0x3F8, IRQ 4)
 * and COM2 (0x2F8, IRQ 3) raising their IRQ through irqfd, each written into a {@link ConsoleLog}; the
 * i8042 reset line (0x64 ← 0xFE); the ACPI power port 0x3C0; the post code port 0x80; the CMOS at 0x70.
 * Power off and resets go to the {@link ExitLatch}.
 */
final class LegacyDevices implements AutoCloseable {

    private static final int[][] COM = {{Serial16550.COM1_PORT, Serial16550.COM1_IRQ},
        {Serial16550.COM2_PORT, Serial16550.COM2_IRQ}};

    private final ExitLatch exits;
    private final List<EventFd> irqs = new ArrayList<>();
    private final Serial16550[] serials = new Serial16550[COM.length];
    private final ConsoleLog[] logs = {new ConsoleLog(), new ConsoleLog()};
    private final PostCodePort postCode = new PostCodePort();
    /** What a snapshot saves, by a name that stays stable across versions. */
    private final Map<String, StatefulDevice> stateful = new LinkedHashMap<>();

    /** Registers the devices on {@code pio} and the serial irqfds on {@code vm}; on failure closes what it opened. */
    LegacyDevices(VmFd vm, Bus pio, ExitLatch exits) {
        this.exits = exits;
        try {
            for (int i = 0; i < COM.length; i++) {
                EventFd irq = EventFd.create(0, LibcH.EFD_NONBLOCK);
                irqs.add(irq);
                vm.registerIrqfd(irq, COM[i][1]);
                ConsoleLog log = logs[i];
                serials[i] = new Serial16550(b -> log.append(new byte[] {(byte) b}, 0, 1), () -> irq.signal(1));
                pio.register(COM[i][0], Serial16550.PORT_COUNT, serials[i]);
                stateful.put("com" + (i + 1), serials[i]);
            }
            I8042 i8042 = new I8042(() -> reset("i8042 reset (0xFE to port 0x64)"));
            pio.register(I8042.DATA_PORT, 5, i8042);
            pio.register(X86Layout.ACPI_SHUTDOWN_PORT, 1, new PowerPort(
                    () -> exits.finish(ExitReason.POWEROFF, "ACPI power off (port 0x3C0)"),
                    () -> reset("ACPI reset (port 0x3C0)")));
            pio.register(PostCodePort.PORT, 1, postCode);
            Cmos cmos = new Cmos(Clock.systemUTC());
            pio.register(Cmos.PORT, 2, cmos);
            stateful.put("i8042", i8042);
            stateful.put("cmos", cmos);
            stateful.put("post-code", postCode);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A guest reset ends the run: {@link ExitReason#PANIC} when COM1 showed a kernel panic first, else REBOOT. */
    void reset(String how) {
        if (logs[0].sawPanic()) {
            exits.finish(ExitReason.PANIC, "kernel panic, then " + how);
        } else {
            exits.finish(ExitReason.REBOOT, how);
        }
    }

    /** The devices with state worth a snapshot, by name (the power port has none). */
    Map<String, StatefulDevice> statefulDevices() {
        return Collections.unmodifiableMap(stateful);
    }

    /** COM1 ({@code 0}) or COM2 ({@code 1}). */
    Serial16550 serial(int index) {
        return serials[index];
    }

    /** What COM1 ({@code 0}) or COM2 ({@code 1}) wrote. */
    ConsoleLog log(int index) {
        return logs[index];
    }

    int lastPostCode() {
        return postCode.lastValue();
    }

    /** Ends the serial logs' streams: nothing more will be written. */
    void endLogs() {
        for (ConsoleLog log : logs) {
            log.end();
        }
    }

    /** COM1 and COM2 as the DSDT declares them. */
    List<AcpiDevice> acpiDevices() {
        List<AcpiDevice> out = new ArrayList<>();
        for (int i = 0; i < COM.length; i++) {
            out.add(new AcpiDevice.Serial(i, COM[i][0], COM[i][1]));
        }
        return out;
    }

    /** Closes the irqfds' eventfds. */
    @Override
    public void close() {
        irqs.forEach(EventFd::close);
    }
}
