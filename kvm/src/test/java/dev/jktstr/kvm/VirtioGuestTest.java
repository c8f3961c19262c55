package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.ExitReason;
import dev.jktstr.virtio.ConsolePort;
import dev.jktstr.virtio.VirtioBlock;
import dev.jktstr.virtio.VirtioConsole;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our virtio devices driven by real guest code on KVM: the C test guests vconsole.c and vblk.c are
 * freestanding split-ring drivers. The host side checks what it can see independently: the bytes the
 * echo passed through, the disk file's contents against the pattern computed here.
 */
class VirtioGuestTest {

    static final Duration WAIT = Duration.ofSeconds(180);

    @BeforeAll
    static void requirements() {
        TestGuests.assumeKvm();
        TestGuests.assumeBinutils();
    }

    /** The guests' pattern: word i of the stream (vguest.h). */
    static long pattern(long i) {
        long x = i * 0x9E3779B97F4A7C15L + 1;
        x ^= x >>> 29;
        x *= 0xBF58476D1CE4E5B9L;
        return x ^ (x >>> 32);
    }

    static byte[] patternBytes(int bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < bytes / 8; i++) {
            b.putLong(pattern(i));
        }
        return b.array();
    }

    static VirtualMachine.Builder machine() {
        return VirtualMachine.builder().memoryMib(32).watchdog(WAIT);
    }

    static String run(VirtualMachine vm) {
        vm.start();
        ExitReason exit = vm.awaitExit(WAIT);
        String out = TestGuests.output(vm, 0);
        assertThat(exit).as("exit %s, guest said:%n%s", vm.exit(), out).isEqualTo(ExitReason.POWEROFF);
        assertThat(out).as(out).doesNotContain("FAIL").contains("DONE");
        return out;
    }

    static String value(String out, String key) {
        Matcher m = Pattern.compile("\\b" + key + "=(\\S+)").matcher(out);
        assertThat(m.find()).as("%s in%n%s", key, out).isTrue();
        return m.group(1);
    }

    @Test
    void consoleEchoOfOneMibOnTheControlPortSurvivesResetAndReinit() throws Exception {
        VirtioConsole console = VirtioConsole.withNamedPorts(List.of("jktstr.ctl"));
        AtomicLong echoed = new AtomicLong();
        try (VirtualMachine vm = TestGuests.create("vconsole", machine())) {
            VirtualMachine.VirtioSlot slot = vm.addVirtioDevice("console", console);
            assertThat(slot.commandLineArg()).isEqualTo("virtio_mmio.device=4K@0xd0000000:5");
            ConsolePort port = console.port("jktstr.ctl");
            Thread echo = Thread.ofPlatform().daemon().name("echo").start(() -> {
                byte[] buf = new byte[3000]; // odd size: the guest must reassemble partial buffers
                try (InputStream in = port.fromGuest(); OutputStream out = port.toGuest()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.write(buf, 0, n);
                        echoed.addAndGet(n);
                    }
                } catch (IOException e) {
                    // the VM closed under us: the test's assertions say whether that was early
                }
            });
            String out = run(vm);
            assertThat(out).contains("RESULT phase=1 sent=1048576 received=1048576", "RESULT phase=2 sent=65536 received=65536");
            for (String line : out.lines().filter(l -> l.startsWith("RESULT")).toList()) {
                assertThat(value(line, "sum")).as(line).isEqualTo(value(line, "expect"));
            }
            assertThat(echoed.get()).isEqualTo((1 << 20) + (64 << 10));
            assertThat(port.guestOpen()).isTrue();
            assertThat(slot.device().failed()).isFalse();
            vm.close();
            echo.join(10_000);
            assertThat(echo.isAlive()).as("closing the VM ends the port's streams").isFalse();
        }
    }

    @Test
    void blockWriteFlushReadOfOneMibAgainstAFile(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("disk.img");
        Files.write(image, new byte[4 << 20]);
        try (VirtualMachine vm = TestGuests.create("vblk", machine())) {
            VirtualMachine.VirtioSlot slot = vm.addVirtioDevice("disk", VirtioBlock.file(image).id("jktstr-test-disk").build());
            String out = run(vm);
            // the guest read its registers (identification, features, queue sizes) without one exit to us
            System.out.println("register reads that exited: " + slot.registerReadExits() + " (mirror "
                    + (vm.mirrorsVirtioReads() ? "on" : "off: no KVM_CAP_READONLY_MEM here") + ")");
            if (vm.mirrorsVirtioReads()) {
                assertThat(slot.registerReadExits()).isZero();
            } else {
                assertThat(slot.registerReadExits()).isPositive();
            }
            assertThat(value(out, "capacity")).isEqualTo(String.valueOf((4 << 20) / 512));
            assertThat(value(out, "read_only")).isEqualTo("0");
            assertThat(value(out, "sum")).isEqualTo(value(out, "expect"));
            assertThat(value(out, "id")).isEqualTo("jktstr-test-disk");
            assertThat(value(out, "past_end_status")).isNotEqualTo("0");
            assertThat(value(out, "reset_sum")).isEqualTo(value(out, "reset_expect"));
        }
        // The oracle: the file itself holds what the guest wrote.
        byte[] disk = Files.readAllBytes(image);
        assertThat(java.util.Arrays.copyOf(disk, 1 << 20)).isEqualTo(patternBytes(1 << 20));
    }

    @Test
    void readOnlyDiskServesReadsAndRefusesWrites(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("ro.img");
        byte[] content = java.util.Arrays.copyOf(patternBytes(1 << 20), 2 << 20);
        Files.write(image, content);
        try (VirtualMachine vm = TestGuests.create("vblk", machine())) {
            vm.addVirtioDevice("disk", VirtioBlock.file(image).readOnly(true).build());
            String out = run(vm);
            assertThat(value(out, "read_only")).isEqualTo("1");
            assertThat(value(out, "write_status")).isNotEqualTo("0");
            assertThat(value(out, "sum")).isEqualTo(value(out, "expect"));
        }
        assertThat(Files.readAllBytes(image)).isEqualTo(content);
    }

    @Test
    void usedBuffersInterruptTheGuestThroughIrqfd() {
        try (VirtualMachine vm = TestGuests.create("virq", machine())) {
            vm.addVirtioDevice("disk", VirtioBlock.ram(1 << 20).build());
            String out = run(vm);
            // The guest halts between requests; only the virtio interrupt can wake it. Edge interrupts that
            // land before the guest's EOI merge (as on a real PIC), and the last may arrive after the count.
            assertThat(value(out, "requests")).isEqualTo("64");
            long interrupts = Long.parseLong(value(out, "interrupts"));
            long wakes = Long.parseLong(value(out, "wakes"));
            assertThat(wakes).as("completions that woke a halted guest").isPositive();
            assertThat(interrupts).as("interrupts taken").isGreaterThanOrEqualTo(wakes).isGreaterThanOrEqualTo(32);
            assertThat(Long.parseLong(value(out, "vring_bits"))).isPositive().isLessThanOrEqualTo(interrupts);
        }
    }

    @Test
    void aNinthDeviceIsRefusedAndClosed() throws Exception {
        try (VirtualMachine vm = machine().build()) {
            for (int i = 0; i < 8; i++) {
                assertThat(vm.addVirtioDevice("disk" + i, VirtioBlock.ram(1 << 20).build()).irq())
                        .isNotIn(0, 1, 2, 3, 4, 8, 9, 13);
            }
            VirtioConsole extra = VirtioConsole.withNamedPorts(List.of("jktstr.ctl"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> vm.addVirtioDevice("extra", extra))
                    .isInstanceOf(KvmException.class).hasMessageContaining("at most 8 virtio devices");
            assertThat(extra.port(1).fromGuest().read()).as("the refused device was closed").isEqualTo(-1);
            assertThat(vm.virtioCommandLine().split(" ")).hasSize(8);
        }
    }
}
