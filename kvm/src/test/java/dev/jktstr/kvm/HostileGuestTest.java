package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.ExitReason;
import dev.jktstr.virtio.VirtioBlock;
import dev.jktstr.virtio.VirtioConsole;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A guest that writes pseudo-random values of every width to every device our VMM has — serial ports,
 * i8042, CMOS, post code, all eight virtio-mmio windows — and reads them back (guests/garbage.c). The
 * VMM survives: the guest runs to its own power-off, and closing leaves descriptors and threads flat.
 */
class HostileGuestTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void garbageToEveryDeviceNeitherCrashesNorLeaks() throws Exception {
        TestGuests.assumeKvm();
        runGarbage(); // the first run also starts what lives for the JVM (the watchdog thread, the kick handler)
        System.gc();
        HygieneTest.Snapshot before = HygieneTest.Snapshot.take();
        runGarbage();
        System.gc();
        HygieneTest.Snapshot after = HygieneTest.Snapshot.take();
        assertThat(after.fds()).as("descriptors").isLessThanOrEqualTo(before.fds());
        assertThat(after.threads()).as("threads").isLessThanOrEqualTo(before.threads());
    }

    @Test
    void aPauseThatIsInterruptedLeavesTheGuestRunning() {
        TestGuests.assumeKvm();
        try (VirtualMachine vm = TestGuests.create("garbage", VirtualMachine.builder().memoryMib(32).watchdog(WAIT))) {
            vm.start();
            Thread.currentThread().interrupt();
            assertThatThrownBy(vm::pause).isInstanceOf(dev.jktstr.machine.MachineStateException.class)
                    .hasMessageContaining("interrupted");
            assertThat(Thread.interrupted()).isTrue();
            assertThat(vm.isPaused()).isFalse();
            // Not parked behind our back: the guest goes on to its own power-off.
            assertThat(vm.awaitExit(WAIT)).as("exit %s", vm.exit()).isEqualTo(ExitReason.POWEROFF);
        }
    }

    private static void runGarbage() {
        try (VirtualMachine vm = TestGuests.create("garbage", VirtualMachine.builder().memoryMib(32).watchdog(WAIT))) {
            vm.addVirtioDevice("console", VirtioConsole.withNamedPorts(List.of("jktstr.ctl")));
            for (int i = 1; i < 8; i++) {
                vm.addVirtioDevice("disk" + i, VirtioBlock.ram(64 << 10).build());
            }
            vm.start();
            ExitReason exit = vm.awaitExit(WAIT);
            String out = TestGuests.output(vm, 0);
            assertThat(exit).as("exit %s, guest said:%n%s", vm.exit(), out).isEqualTo(ExitReason.POWEROFF);
            assertThat(out).contains("garbage done");
        }
    }
}
