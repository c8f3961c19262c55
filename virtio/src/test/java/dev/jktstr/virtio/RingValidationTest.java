package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.virtio.TestDriver.Buf;
import dev.jktstr.virtio.TestDriver.GuestQueue;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hand-made malicious ring states (virtio 1.2 §2.7): each must put the device into the failed
 * state with a reason naming the queue and the problem, leave host memory alone, and allow a reset
 * and a fresh start.
 */
class RingValidationTest {

    private static final int N = BlockGuest.QUEUE_SIZE;
    private FakeGuest guest;
    private long header;
    private long data;
    private long status;

    @BeforeEach
    void setUp() {
        guest = new FakeGuest();
        header = guest.alloc(16, 16);
        data = guest.alloc(4096, 512);
        status = guest.alloc(1, 1);
    }

    @AfterEach
    void tearDown() {
        guest.close();
    }

    /** Lets {@code scribble} write raw descriptors and ring state, processes, and checks the failure. */
    private void assertFails(String reason, Consumer<GuestQueue> scribble) {
        try (VirtioBlock disk = VirtioBlock.ram(1 << 20).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            scribble.accept(g.q);
            g.q.kick();
            g.d.device.processNow();
            assertThat(g.d.device.failure()).as(reason).get().asString().isEqualTo("queue 0: " + reason);
            assertThat(g.d.device.status() & VIRTIO_CONFIG_S_NEEDS_RESET).isNotZero();
            assertThat(g.d.read(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG).isNotZero();
            assertThat(g.q.usedIdx()).isZero();
            g.d.device.processNow(); // stays failed, does nothing
            assertThat(g.d.device.failure()).get().asString().isEqualTo("queue 0: " + reason);
            assertThat(guest.canariesIntact()).isTrue();
            // Reset and start over: a good request works.
            g.d.write(VIRTIO_MMIO_STATUS, 0);
            g.init();
            assertThat(g.request(VIRTIO_BLK_T_IN, 0, Buf.in(data, 512))).isEqualTo(VIRTIO_BLK_S_OK);
        }
    }

    private void header(GuestQueue q, int descriptor, int next) {
        q.writeDesc(descriptor, header, 16, VRING_DESC_F_NEXT, next);
    }

    @Test
    void descriptorLoop() {
        assertFails("descriptor chain longer than the queue size (loop?) at head 0", q -> {
            header(q, 0, 1);
            q.writeDesc(1, data, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
            q.writeDesc(2, data, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
            q.claim(0);
            q.publish(0);
        });
    }

    @Test
    void selfLoop() {
        assertFails("descriptor chain longer than the queue size (loop?) at head 3", q -> {
            header(q, 3, 3);
            q.claim(3);
            q.publish(3);
        });
    }

    @Test
    void nextBeyondTheQueue() {
        assertFails("descriptor 0 chains to 64, beyond the queue size 64", q -> {
            header(q, 0, N);
            q.claim(0);
            q.publish(0);
        });
    }

    @Test
    void headBeyondTheQueue() {
        assertFails("available ring entry 0 names descriptor 100, beyond the queue size 64", q -> q.publish(100));
    }

    @Test
    void availableIndexJump() {
        assertFails("available index moved 65 entries ahead of the device (0 -> 65), more than the queue size 64",
                q -> q.setAvailIdx(65));
    }

    @Test
    void availableIndexBackwards() {
        assertFails("available index moved 65535 entries ahead of the device (0 -> 65535), more than the queue size 64",
                q -> q.setAvailIdx(0xffff));
    }

    @Test
    void bufferInTheHole() {
        assertFails("buffer [0x800000, +512) of the chain at head 0 is not inside guest RAM", q -> {
            header(q, 0, 1);
            q.writeDesc(1, FakeGuest.HOLE, 512, VRING_DESC_F_WRITE, 0);
            q.claim(0);
            q.publish(0);
        });
    }

    @Test
    void bufferStraddlingRamAndHole() {
        assertFails("buffer [0x7ffe00, +1024) of the chain at head 0 is not inside guest RAM", q -> {
            header(q, 0, 1);
            q.writeDesc(1, FakeGuest.HOLE - 512, 1024, VRING_DESC_F_WRITE, 0);
            q.claim(0);
            q.publish(0);
        });
    }

    @Test
    void bufferPastTheEndAndWrappingTheAddressSpace() {
        assertFails("buffer [0xfffffffffffffff0, +4294967295) of the chain at head 0 is not inside guest RAM", q -> {
            header(q, 0, 1);
            q.writeDesc(1, -16, 0xffffffffL, VRING_DESC_F_WRITE, 0);
            q.claim(0);
            q.publish(0);
        });
    }

    @Test
    void hugeLength() {
        assertFails("buffer [0x1000, +4294967295) of the chain at head 0 is not inside guest RAM", q -> {
            header(q, 0, 1);
            q.writeDesc(1, 0x1000, 0xffffffffL, VRING_DESC_F_WRITE, 0);
            q.claim(0);
            q.publish(0);
        });
    }

    @Test
    void readableAfterWritable() {
        assertFails("device-readable descriptor after a device-writable one in the chain at head 0", q -> {
            header(q, 0, 1);
            q.writeDesc(1, data, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
            q.writeDesc(2, status, 1, 0, 0);
            q.claim(0);
            q.publish(0);
        });
    }

    // ------------------------------------------------------------ indirect tables

    private long table(int entries) {
        return guest.alloc(16L * entries, 16);
    }

    private void indirect(GuestQueue q, long table, long length, int flags) {
        q.writeDesc(0, table, length, VRING_DESC_F_INDIRECT | flags, 1);
        q.claim(0);
        q.publish(0);
    }

    @Test
    void indirectWithNext() {
        assertFails("indirect descriptor 0 also has VRING_DESC_F_NEXT",
                q -> indirect(q, table(2), 32, VRING_DESC_F_NEXT));
    }

    @Test
    void indirectTableNotAMultipleOf16() {
        assertFails("indirect table of descriptor 0 is 24 bytes, not a non-zero multiple of 16",
                q -> indirect(q, table(2), 24, 0));
    }

    @Test
    void emptyIndirectTable() {
        assertFails("indirect table of descriptor 0 is 0 bytes, not a non-zero multiple of 16",
                q -> indirect(q, table(1), 0, 0));
    }

    @Test
    void indirectTableLongerThanTheQueue() {
        assertFails("indirect table of descriptor 0 has 65 entries, more than the queue size 64",
                q -> indirect(q, table(65), 16 * 65, 0));
    }

    @Test
    void indirectTableInTheHole() {
        assertFails("indirect table of descriptor 0 at 0x800000 (32 bytes) is not inside guest RAM",
                q -> indirect(q, FakeGuest.HOLE, 32, 0));
    }

    @Test
    void nestedIndirect() {
        assertFails("indirect table entry 1 is itself indirect", q -> {
            long t = table(2);
            guest.memory.segment(t, 32).fill((byte) 0);
            q.d().writeDescAt(t, 0, header, 16, VRING_DESC_F_NEXT, 1);
            q.d().writeDescAt(t, 1, table(1), 16, VRING_DESC_F_INDIRECT, 0);
            indirect(q, t, 32, 0);
        });
    }

    @Test
    void indirectLoop() {
        assertFails("indirect descriptor chain longer than its 2-entry table (loop?)", q -> {
            long t = table(2);
            q.d().writeDescAt(t, 0, header, 16, VRING_DESC_F_NEXT, 1);
            q.d().writeDescAt(t, 1, data, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
            indirect(q, t, 32, 0);
        });
    }

    @Test
    void indirectNextBeyondItsTable() {
        assertFails("indirect table entry 0 chains to 2, beyond the table's 2 entries", q -> {
            long t = table(2);
            q.d().writeDescAt(t, 0, header, 16, VRING_DESC_F_NEXT, 2);
            indirect(q, t, 32, 0);
        });
    }

    @Test
    void indirectWithoutNegotiation() {
        try (VirtioBlock disk = VirtioBlock.ram(1 << 20).build()) {
            BlockGuest g = new BlockGuest(guest, disk);
            g.d.negotiate((1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_RING_F_EVENT_IDX));
            g.start();
            indirect(g.q, table(2), 32, 0);
            g.run();
            assertThat(g.d.device.failure()).contains(
                    "queue 0: descriptor 0 is indirect but VIRTIO_RING_F_INDIRECT_DESC was not negotiated");
        }
    }

    @Test
    void chainsChangedAfterValidationCannotEscape() {
        // The device copies each descriptor once; rewriting the table mid-flight only changes what the
        // guest's own memory holds. Here: a valid IN request whose header the guest flips to a hole
        // address after posting still completes (the device read it at pop time) or fails cleanly.
        try (VirtioBlock disk = VirtioBlock.ram(1 << 20).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            int head = g.post(VIRTIO_BLK_T_IN, 0, Buf.in(data, 512));
            g.q.kick();
            g.d.device.processNow();
            g.q.writeDesc(head, FakeGuest.HOLE, 16, VRING_DESC_F_NEXT, 1);
            assertThat(g.q.reap()).hasSize(1);
            assertThat(g.d.device.failed()).isFalse();
            assertThat(guest.canariesIntact()).isTrue();
        }
    }
}
