package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.testsupport.BootsVm;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Shell mode (jktstr.shell=1) beside the control port, then a guest panic seen from the host. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BootsVm
class GuestPanicAndShellTest {
    static GuestImage image;
    static QemuGuest guest;

    @BeforeAll
    static void boot() throws Exception {
        QemuGuest.assumeQemuAndKernel();
        image = GuestImage.builder().withBusybox(true).build();
        guest = new QemuGuest(image.initramfs(), "jktstr.shell=1");
    }

    @AfterAll
    static void shutdown() {
        if (guest != null) {
            guest.close();
        }
        if (image != null) {
            image.close();
        }
    }

    @Test
    @Order(1)
    void shellRunsOnTheConsoleTtyWhileTheAgentServes() {
        // /proc/<pid>/stat field 7 is the controlling tty: ttyS0 is major 4, minor 64 (the comm of busybox's sh is busybox).
        ExecResult r = guest.client.exec(List.of("/bin/sh", "-c", "cat /proc/[0-9]*/stat"), Map.of(), Duration.ofSeconds(30));
        List<String> shells = r.stdoutText().lines().filter(l -> l.contains(" (busybox) ") || l.contains(" (sh) ")).toList();
        assertThat(shells).anyMatch(l -> l.substring(l.indexOf(") ") + 2).split(" ")[4].equals(String.valueOf(4 << 8 | 64)));
        guest.client.ping(Duration.ofSeconds(10));
    }

    @Test
    @Order(2)
    void panicEndsTheGuestAndTheConsoleSaysWhy() throws Exception {
        AgentClient client = guest.client;
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client.exec(List.of("/bin/sh", "-c", "echo c > /proc/sysrq-trigger"), Map.of(),
                Duration.ofSeconds(20))).isInstanceOf(AgentException.class);
        System.out.printf("exec of the crashing command failed after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(guest.waitForExit(Duration.ofSeconds(60))).as("QEMU exits after the panic (panic=-1, -no-reboot)").isTrue();
        String tail = guest.consoleTail(30);
        System.out.println("exit reason " + exitReason(QemuGuest.read(guest.console)) + ", console tail:\n" + tail);
        assertThat(exitReason(QemuGuest.read(guest.console))).isEqualTo("PANIC");
        assertThat(tail).contains("Kernel panic - not syncing: sysrq triggered crash");
        assertThat(client.isOpen()).isFalse();
    }

    /** What the Machine SPI backends report; here only the console decides. */
    static String exitReason(String console) {
        if (console.contains("Kernel panic - not syncing")) {
            return "PANIC";
        }
        if (console.contains("reboot: Power down")) {
            return "POWER_OFF";
        }
        return "UNKNOWN";
    }
}
