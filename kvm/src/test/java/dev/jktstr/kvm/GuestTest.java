package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.ExitReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The VMM core against the test guests: serial, exits, shutdown paths, triple fault. */
class GuestTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @BeforeAll
    static void requirements() {
        TestGuests.assumeKvm();
        TestGuests.assumeBinutils();
    }

    @Test
    void serialOutputAndPowerOff() {
        try (VirtualMachine vm = TestGuests.start("serial")) {
            assertThat(vm.awaitExit(WAIT)).as(vm.exit().toString()).isEqualTo(ExitReason.POWEROFF);
            assertThat(TestGuests.output(vm, 0)).isEqualTo("hello from a jktstr test guest\n");
            assertThat(vm.consoleTail()).isEqualTo("hello from a jktstr test guest");
        }
    }

    @Test
    void i8042ResetIsReportedAsReboot() {
        try (VirtualMachine vm = TestGuests.start("i8042")) {
            assertThat(vm.awaitExit(WAIT)).isEqualTo(ExitReason.REBOOT);
            assertThat(vm.exit().orElseThrow().detail()).contains("i8042");
        }
    }

    @Test
    void tripleFaultIsReportedAsSuch() {
        try (VirtualMachine vm = TestGuests.start("triplefault")) {
            assertThat(vm.awaitExit(WAIT)).isEqualTo(ExitReason.TRIPLE_FAULT);
            assertThat(vm.exit().orElseThrow().detail()).contains("triple fault");
        }
    }

    /** Records every access as "pio|mmio r|w size offset value"; reads return fixed values. */
    static final class Recorder implements BusDevice {
        final String bus;
        final List<String> log = new CopyOnWriteArrayList<>();

        Recorder(String bus) {
            this.bus = bus;
        }

        @Override
        public long read(long offset, int size) {
            log.add(bus + " r " + size + " " + offset);
            return bus.equals("pio") ? 0xCAFEF00DL : 0x0123_4567_89AB_CDEFL;
        }

        @Override
        public void write(long offset, int size, long value) {
            log.add(bus + " w " + size + " " + offset + " " + Long.toHexString(value));
        }
    }

    @Test
    void pioAndMmioExitsReachBusDevices() {
        Recorder pio = new Recorder("pio");
        Recorder mmio = new Recorder("mmio");
        try (VirtualMachine vm = TestGuests.create("exits", VirtualMachine.builder().memoryMib(16))) {
            vm.pio().register(0x500, 8, pio);
            vm.mmio().register(0xD000_0000L, 0x100, mmio);
            vm.start();
            assertThat(vm.awaitExit(WAIT)).as(vm.exit().toString()).isEqualTo(ExitReason.POWEROFF);
        }
        assertThat(pio.log).containsExactly("pio w 1 0 11", "pio w 2 0 2222", "pio w 4 0 33333333", "pio r 4 2",
                "pio w 4 6 cafef00d", "pio w 1 4 61", "pio w 1 4 62", "pio w 1 4 63");
        assertThat(mmio.log).containsExactly("mmio w 1 16 44", "mmio w 2 16 5555", "mmio w 4 16 66666666",
                "mmio w 8 16 7777777777777777", "mmio r 8 0", "mmio w 8 8 123456789abcdef");
    }

    @Test
    void serialInputRaisesAnInterruptThroughIrqfd() throws Exception {
        try (VirtualMachine vm = TestGuests.start("irq")) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!TestGuests.output(vm, 0).contains("ready") && System.nanoTime() < deadline && vm.exit().isEmpty()) {
                Thread.sleep(5);
            }
            assertThat(TestGuests.output(vm, 0)).as(vm.exit().toString()).isEqualTo("ready\n");
            vm.serial(0).receive("Z".getBytes(StandardCharsets.US_ASCII));
            assertThat(vm.awaitExit(WAIT)).as(vm.exit().toString()).isEqualTo(ExitReason.POWEROFF);
            assertThat(TestGuests.output(vm, 0)).isEqualTo("ready\nZ\n");
        }
    }

    @Test
    void twoVcpusRunWithTheirOwnApicIds() {
        Recorder pio = new Recorder("pio");
        try (VirtualMachine vm = TestGuests.create("smp", VirtualMachine.builder().vcpus(2).memoryMib(16))) {
            vm.pio().register(0x500, 4, pio);
            vm.pio().register(0x508, 4, new BusDevice() {
                @Override
                public long read(long offset, int size) {
                    return 2;
                }

                @Override
                public void write(long offset, int size, long value) {
                }
            });
            vm.start();
            assertThat(vm.awaitExit(WAIT)).as(vm.exit().toString()).isEqualTo(ExitReason.POWEROFF);
        }
        assertThat(pio.log).containsExactlyInAnyOrder("pio w 4 0 0", "pio w 4 0 1");
    }

    @Test
    void pauseResumeReadsRegistersAndHidesThePauseFromTheKvmClock() throws Exception {
        try (VirtualMachine vm = TestGuests.start("spin")) {
            pauseOnce(vm, r -> r.get("RBX").orElse(0) > 0); // the guest has started (machines are noisy)
            assertThat(vm.isPaused()).isTrue();
            var first = vm.registers(0);
            assertThat(first.get("R12")).hasValue(0x1badb002L);
            assertThat(first.rip()).isBetween(TestGuests.LOAD_ADDRESS, TestGuests.LOAD_ADDRESS + 14);
            assertThat(first.cr3()).isEqualTo(LongMode.PML4_ADDRESS);
            long rbx = first.get("RBX").orElseThrow();
            long clockAtPause = vm.vm().clock();
            Thread.sleep(800);
            vm.resume();
            vm.pause(); // idempotent pause and a second, immediate one
            vm.pause();
            long clockAfter = vm.vm().clock();
            // The guest's clock advanced by the run time between the pauses, not by the 800 ms asleep.
            assertThat(clockAfter - clockAtPause).isLessThan(400_000_000L);
            vm.resume();
            pauseOnce(vm, r -> r.get("RBX").orElseThrow() > rbx);
            assertThat(vm.registers(0).get("RBX").orElseThrow()).isGreaterThan(rbx);
            vm.resume();
            assertThat(vm.exit()).isEmpty();
        }
    }

    @Test
    void theGuestStartsItsSecondVcpuThroughInitSipi() {
        Recorder pio = new Recorder("pio");
        try (VirtualMachine vm = TestGuests.create("sipi", VirtualMachine.builder().vcpus(2).memoryMib(16), 1)) {
            assertThat(vm.mpState(1)).as("the AP waits for INIT/SIPI").isEqualTo(dev.jktstr.bindings.kvm.KvmH.KVM_MP_STATE_UNINITIALIZED);
            vm.pio().register(0x500, 4, pio);
            vm.start();
            assertThat(vm.awaitExit(WAIT)).as(vm.exit().toString()).isEqualTo(ExitReason.POWEROFF);
        }
        assertThat(pio.log).containsExactlyInAnyOrder("pio w 4 0 0", "pio w 4 0 1");
    }

    @Test
    void theWatchdogStopsAGuestThatNeverExits() {
        try (VirtualMachine vm = TestGuests.create("spin", VirtualMachine.builder().memoryMib(16)
                .watchdog(Duration.ofMillis(300)))) {
            vm.start();
            assertThat(vm.awaitExit(WAIT)).isEqualTo(ExitReason.TIMEOUT);
            assertThat(vm.exit().orElseThrow().detail()).contains("watchdog");
            assertThat(vm.registers(0).rip()).isBetween(TestGuests.LOAD_ADDRESS, TestGuests.LOAD_ADDRESS + 14); // readable once stopped
        }
    }

    @Test
    void aResetAfterAKernelPanicMessageIsReportedAsPanic() {
        try (VirtualMachine vm = TestGuests.start("panic")) {
            assertThat(vm.awaitExit(WAIT)).isEqualTo(ExitReason.PANIC);
        }
    }

    @Test
    void anExitStormOnUnclaimedAddressesStaysPausableAndClosable() throws Exception {
        VirtualMachine vm = TestGuests.start("storm");
        try (vm) {
            pauseOnce(vm, r -> r.get("R13").orElse(0) == -1L);
            assertThat(vm.registers(0).get("R13")).hasValue(-1L); // unclaimed MMIO reads float to all ones
            assertThat(vm.pio().unclaimedAccesses()).isPositive();
            assertThat(vm.mmio().unclaimedAccesses()).isPositive();
            vm.resume();
        }
        assertThat(vm.exit().orElseThrow().reason()).isEqualTo(ExitReason.CLOSED);
    }

    /** Pauses the VM, resuming and retrying until {@code ready} holds for vCPU 0 (or {@link #WAIT} passes). */
    static void pauseOnce(VirtualMachine vm, java.util.function.Predicate<dev.jktstr.machine.VcpuRegisters> ready)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            vm.pause();
            if (ready.test(vm.registers(0)) || System.nanoTime() > deadline) {
                return;
            }
            vm.resume();
            Thread.sleep(20);
        }
    }
}
