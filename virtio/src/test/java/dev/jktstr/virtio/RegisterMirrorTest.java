package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The read mirror a VMM maps read-only over the register window ({@link VirtioMmioDevice#mirrorReadsInto}) holds what
 * reads return, after every step of a driver's life: identification, feature selection, queue selection, the multiport
 * handshake with its interrupts, a failure and a reset. {@code FuzzTest} checks the same every few rounds of random
 * and hostile register and ring traffic.
 */
class RegisterMirrorTest {

    /** Every aligned register word and every configuration-space byte equals what a read returns. */
    static void assertMirrorMatchesReads(VirtioMmioDevice device, MemorySegment mirror) {
        for (int offset = 0; offset < VIRTIO_MMIO_CONFIG; offset += 4) {
            assertThat(Integer.toUnsignedLong(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, offset)))
                    .as("register 0x%x", offset).isEqualTo(device.read(offset, 4));
        }
        for (int offset = VIRTIO_MMIO_CONFIG; offset < VirtioMmioDevice.WINDOW_SIZE; offset++) {
            assertThat(Byte.toUnsignedLong(mirror.get(ValueLayout.JAVA_BYTE, offset)))
                    .as("config byte 0x%x", offset).isEqualTo(device.read(offset, 1));
        }
    }

    @Test
    void theMirrorFollowsEveryRegisterAChangeCanReach() {
        try (FakeGuest guest = new FakeGuest()) {
            ConsoleGuest g = new ConsoleGuest(guest, VirtioConsole.withNamedPorts(List.of("jktstr.ctl", "extra")),
                    "console");
            MemorySegment mirror = Arena.ofAuto().allocate(0x1000);
            g.d.device.mirrorReadsInto(mirror);
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_MAGIC_VALUE)).isEqualTo(0x74726976);
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_CONFIG + 4)).as("max_nr_ports")
                    .isEqualTo(3);
            assertMirrorMatchesReads(g.d.device, mirror);
            g.d.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_DEVICE_FEATURES))
                    .as("the high feature word, once selected").isEqualTo(g.d.read(VIRTIO_MMIO_DEVICE_FEATURES))
                    .isNotZero();
            g.init();
            assertMirrorMatchesReads(g.d.device, mirror);
            g.d.write(VIRTIO_MMIO_QUEUE_SEL, 99); // no such queue
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_QUEUE_NUM_MAX)).isZero();
            g.d.write(VIRTIO_MMIO_QUEUE_SEL, 1);
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_QUEUE_READY)).isEqualTo(1);
            g.handshake(); // control messages both ways: used-buffer interrupts
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING)
                    .as("a used-buffer interrupt shows before the driver reads it").isNotZero();
            assertMirrorMatchesReads(g.d.device, mirror);
            g.d.write(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_INTERRUPT_STATUS)).isZero();
            // a failure (queue 0 re-laid out with an invalid size) and the reset that clears it
            g.d.write(VIRTIO_MMIO_QUEUE_SEL, 0);
            g.d.write(VIRTIO_MMIO_QUEUE_READY, 0);
            g.d.queue(0, 3, 0x10000, 0x11000, 0x12000);
            assertThat(g.d.device.failed()).isTrue();
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)
                    .isNotZero();
            assertMirrorMatchesReads(g.d.device, mirror);
            g.d.write(VIRTIO_MMIO_STATUS, 0);
            assertThat(mirror.get(ValueLayout.JAVA_INT_UNALIGNED, VIRTIO_MMIO_STATUS)).isZero();
            assertMirrorMatchesReads(g.d.device, mirror);
            assertThatThrownBy(() -> g.d.device.mirrorReadsInto(Arena.ofAuto().allocate(16)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 512 bytes");
        }
    }
}
