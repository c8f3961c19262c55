package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** End to end: the shared kernel boots our initramfs under QEMU TCG and the agent answers on the control port. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BootsVm
class GuestBootTest {
    static final Path SCX_SIMPLE = QemuGuest.kernelDir().resolve("../../schedulers/scx_simple").normalize();
    static GuestImage image;
    static QemuGuest guest;
    static AgentClient client;

    @BeforeAll
    static void boot() throws Exception {
        QemuGuest.assumeQemuAndKernel();
        GuestImage.Builder b = GuestImage.builder().withBusybox(true);
        if (Files.isRegularFile(SCX_SIMPLE)) {
            b.addBinary(SCX_SIMPLE, "/bin/scx_simple");
        }
        image = b.build();
        guest = new QemuGuest(image.initramfs(), "");
        client = guest.client;
        System.out.printf("guest up: agent started %d ms after kernel boot, READY at %d ms guest uptime, host saw READY "
                + "%d ms after starting QEMU; kernel %s; mount failures %s; initramfs %d KiB%n",
                client.agentBootTime().toMillis(), client.agentReadyTime().toMillis(), guest.connectTime.toMillis(),
                client.kernelRelease(), client.mountFailures(), Files.size(image.initramfs()) / 1024);
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
    void readyReportsBootTimeAndRelease() {
        assertThat(client.agentBootTime()).isPositive();
        assertThat(client.agentReadyTime()).isGreaterThanOrEqualTo(client.agentBootTime());
        assertThat(client.kernelRelease()).startsWith("6.12");
        assertThat(client.mountFailures()).isEmpty();
        client.ping(Duration.ofSeconds(10));
    }

    @Test
    @Order(2)
    void execUnameRoundTrip() {
        ExecResult r = client.exec("uname -r");
        assertThat(r.succeeded()).as("%s: %s", r, r.stderrText()).isTrue();
        assertThat(r.stdoutText().strip()).isEqualTo(client.kernelRelease());
        ExecResult failing = client.exec(List.of("/bin/sh", "-c", "echo $X >&2; exit 7"), Map.of("X", "to-stderr"),
                Duration.ofSeconds(20));
        assertThat(failing.exitCode()).isEqualTo(7);
        assertThat(failing.stderrText()).isEqualTo("to-stderr\n");
    }

    @Test
    @Order(3)
    void agentMountedThePseudoFileSystems() {
        String mounts = new String(client.readFile("/proc/mounts"), StandardCharsets.UTF_8);
        for (String fs : List.of(" proc ", " sysfs ", " devtmpfs ", " cgroup2 ", " bpf ", " debugfs ", " tracefs ")) {
            assertThat(mounts).contains(fs);
        }
        assertThat(new String(client.readFile("/sys/devices/system/cpu/online"), StandardCharsets.UTF_8).strip())
                .isEqualTo("0-1");
    }

    @Test
    @Order(4)
    void sixteenMebibyteFileRoundTrip() throws Exception {
        byte[] data = new byte[16 << 20];
        new Random(7).nextBytes(data);
        long t0 = System.nanoTime();
        client.writeFile("/tmp/big.bin", data, 0600, Duration.ofSeconds(120));
        long t1 = System.nanoTime();
        byte[] back = client.readFile("/tmp/big.bin", Duration.ofSeconds(120));
        long t2 = System.nanoTime();
        System.out.printf("16 MiB over the control port: write %d ms (%.1f MiB/s), read %d ms (%.1f MiB/s)%n",
                (t1 - t0) / 1_000_000, 16 / ((t1 - t0) / 1e9), (t2 - t1) / 1_000_000, 16 / ((t2 - t1) / 1e9));
        String expected = AgentClientLocalTest.sha256(data);
        assertThat(AgentClientLocalTest.sha256(back)).isEqualTo(expected);
        // Independent oracle: the guest's own sha256sum over what landed in its file system.
        ExecResult sum = client.exec(List.of("sha256sum", "/tmp/big.bin"), Map.of(), Duration.ofSeconds(60));
        assertThat(sum.stdoutText()).startsWith(expected);
        client.exec("rm /tmp/big.bin");
    }

    @Test
    @Order(5)
    void kmsgHoldsTheBootLog() {
        List<String> kmsg = client.readKmsg();
        assertThat(kmsg).anyMatch(l -> l.startsWith("Linux version " + client.kernelRelease()));
        List<KmsgRecord> records = client.readKmsgRecords(Duration.ofSeconds(10));
        assertThat(records.get(0).sequence()).isZero();
    }

    @Test
    @Order(7)
    void schedulerStartsAndSchedExtReportsEnabled() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(SCX_SIMPLE), "no scheduler binary at " + SCX_SIMPLE);
        ExecResult r = client.exec(List.of("/bin/sh", "-c",
                "scx_simple >/tmp/scx.log 2>&1 & pid=$!; "
                        + "for i in $(seq 100); do [ \"$(cat /sys/kernel/sched_ext/state)\" = enabled ] && break; sleep 0.2; done; "
                        + "cat /sys/kernel/sched_ext/state; cat /sys/kernel/sched_ext/root/ops; "
                        + "kill -INT $pid; wait $pid; cat /sys/kernel/sched_ext/state; cat /tmp/scx.log"),
                Map.of(), Duration.ofSeconds(90));
        System.out.println("scx_simple run: " + r + "\n" + r.stdoutText());
        List<String> lines = r.stdoutText().lines().toList();
        assertThat(lines.get(0)).isEqualTo("enabled");
        assertThat(lines.get(1)).isEqualTo("simple");
        assertThat(lines.get(2)).isEqualTo("disabled");
    }

    @Test
    @Order(40)
    void frozenGuestNeverHoldsACallPastItsTimeout() throws Exception {
        String pid = String.valueOf(guest.qemu.pid());
        assertThat(new ProcessBuilder("kill", "-STOP", pid).start().waitFor()).isZero();
        try {
            long t0 = System.nanoTime();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.ping(Duration.ofMillis(500)))
                    .isInstanceOf(AgentTimeoutException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.readFile("/proc/version", Duration.ofMillis(500)))
                    .isInstanceOf(AgentTimeoutException.class);
            long waited = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("two calls to a frozen guest returned after " + waited + " ms in all (timeouts 2 x 500 ms)");
            // Generous bound: a noisy machine may delay the waiting thread, but never by the timeout's order.
            assertThat(waited).isLessThan(5_000);
        } finally {
            new ProcessBuilder("kill", "-CONT", pid).start().waitFor();
        }
        client.ping(Duration.ofSeconds(30));
    }

    @Test
    @Order(50)
    void agentAnnouncesItselfAgainWhenTheHostReconnects() throws Exception {
        client = guest.reconnect();
        assertThat(client.kernelRelease()).startsWith("6.12");
        assertThat(client.exec("echo again").stdoutText()).isEqualTo("again\n");
    }

    @Test
    @Order(100)
    void powerOffEndsQemuCleanly() throws Exception {
        client.powerOff(Duration.ofSeconds(30));
        assertThat(guest.waitForExit(Duration.ofSeconds(60))).as("QEMU exits after power off").isTrue();
        assertThat(guest.qemu.exitValue()).isZero();
        assertThat(guest.consoleTail(5)).contains("reboot: Power down");
    }
}
