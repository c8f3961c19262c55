package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.machine.BackendUnavailableException;
import dev.jktstr.machine.BootFailedException;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.InvalidSpecException;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.MachineTimeoutException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input and dying guests end in typed exceptions with the console tail, within their timeouts. */
@BootsVm
class QemuFailureTest {

    private static GuestImage image;

    @TempDir
    Path tmp;

    @BeforeAll
    static void buildImage() {
        TestGuests.assumeQemu();
        image = TestGuests.image();
    }

    @AfterAll
    static void removeImage() {
        if (image != null) {
            image.close();
        }
    }

    private MachineSpec.Builder spec(Path initramfs) {
        return MachineSpec.builder(TestGuests.bzImage()).initramfs(initramfs).memoryPerNodeMib(256).commandLine("quiet");
    }

    @Test
    void guestPanicIsReportedWithTheConsoleTail() {
        try (GuestSession s = GuestSession.boot(TestGuests.tcg(), spec(image.initramfs()).build(), TestGuests.READY_TIMEOUT)) {
            try {
                s.agent().exec("echo c > /proc/sysrq-trigger");
            } catch (GuestException expected) {
                // the agent dies with the kernel
            }
            assertThat(s.machine().awaitExit(Duration.ofSeconds(60))).isEqualTo(ExitReason.PANIC);
            assertThat(s.machine().consoleTail()).contains("Kernel panic - not syncing").contains("sysrq");
        }
    }

    @Test
    void corruptInitramfsFailsTheBootWithThePanicOnTheConsole() throws IOException {
        Path corrupt = tmp.resolve("corrupt.cpio.gz");
        byte[] junk = new byte[64 << 10];
        new java.util.Random(7).nextBytes(junk);
        junk[0] = 0x1f;
        junk[1] = (byte) 0x8b;
        Files.write(corrupt, junk);
        Duration timeout = Duration.ofSeconds(60);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> GuestSession.boot(TestGuests.tcg(), spec(corrupt).build(), timeout))
                .isInstanceOfSatisfying(BootFailedException.class, e -> {
                    assertThat(e.exitReason()).isEqualTo(ExitReason.PANIC);
                    assertThat(e.consoleTail()).contains("Kernel panic - not syncing");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(timeout.plusSeconds(10));
    }

    @Test
    void guestThatNeverAnswersTimesOutWithinTheLimit() {
        // The kernel runs a shell instead of the agent: the guest lives but never says READY.
        MachineSpec spec = spec(image.initramfs()).commandLine("rdinit=/bin/sh").build();
        Duration timeout = Duration.ofSeconds(10);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> GuestSession.boot(TestGuests.tcg(), spec, timeout))
                .isInstanceOf(MachineTimeoutException.class)
                .hasMessageContaining("timeout 10000 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(timeout.plusSeconds(10));
    }

    @Test
    void missingKernelIsNamed() {
        TestGuests.assumeQemu();
        MachineSpec spec = MachineSpec.builder(tmp.resolve("no-such-bzImage")).build();
        assertThatThrownBy(() -> TestGuests.tcg().boot(spec))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("kernel"))
                .hasMessageContaining("no-such-bzImage");
    }

    @Test
    void missingQemuBinaryIsABackendProblem() {
        QemuBackend bogus = new QemuBackend(tmp.resolve("qemu-system-x86_64"), QemuBackend.Accel.TCG);
        MachineSpec spec = MachineSpec.builder(TestGuests.bzImage()).build();
        assertThat(bogus.canBoot(spec).ok()).isFalse();
        assertThatThrownBy(() -> bogus.boot(spec))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("apt-get install qemu-system-x86");
    }

    @Test
    void qemuThatExitsAtStartIsABootFailureWithItsOwnWords() throws IOException {
        // An initramfs QEMU cannot read: QEMU itself refuses to start.
        Path unreadable = tmp.resolve("fake-qemu");
        Files.writeString(unreadable, "#!/bin/sh\necho 'qemu-system-x86_64: simulated startup failure' >&2\nexit 1\n",
                StandardCharsets.US_ASCII);
        unreadable.toFile().setExecutable(true);
        QemuBackend fake = new QemuBackend(unreadable, QemuBackend.Accel.TCG);
        assertThatThrownBy(() -> fake.boot(MachineSpec.builder(TestGuests.bzImage()).build()))
                .isInstanceOf(BootFailedException.class)
                .hasMessageContaining("simulated startup failure");
    }
}
