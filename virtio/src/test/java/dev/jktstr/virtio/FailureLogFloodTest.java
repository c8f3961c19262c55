package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_NUM;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_READY;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_SEL;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_STATUS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hostile driver that fails its device and resets it in a loop (QueueNum=3 → QueueReady → Status=0): the log gets
 * the first few failures and one count, not a line per cycle, though each reset clears the device's failed state.
 */
class FailureLogFloodTest {

    static final int CYCLES = 100_000;

    @Test
    void failResetLoopLogsABoundedNumberOfLines() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        FakeGuest guest = new FakeGuest();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            TestDriver d = new TestDriver(guest, VirtioConsole.withNamedPorts(List.of("jktstr.ctl")), "flood");
            for (int i = 0; i < CYCLES; i++) {
                d.write(VIRTIO_MMIO_QUEUE_SEL, 0);
                d.write(VIRTIO_MMIO_QUEUE_NUM, 3);
                d.write(VIRTIO_MMIO_QUEUE_READY, 1);
                assertThat(d.device.failed()).isTrue();
                d.write(VIRTIO_MMIO_STATUS, 0);
            }
            assertThat(d.device.failureCount()).isEqualTo(CYCLES);
            d.device.close();
        } finally {
            System.setErr(saved);
            guest.close();
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("virtio-flood")).toList();
        assertThat(lines).hasSize(VirtioMmioDevice.LOGGED_FAILURES + 2);
        assertThat(lines.getFirst()).contains("device needs reset").contains("size 3 is not a power of two");
        assertThat(lines.getLast()).contains((CYCLES - VirtioMmioDevice.LOGGED_FAILURES) + " more message(s) suppressed");
        assertThat(captured.size()).isLessThan(10_000);
    }
}
