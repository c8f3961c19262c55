package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.virtio.TestDriver.Buf;
import dev.jktstr.virtio.TestDriver.Used;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class BlockTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    private FakeGuest guest;

    @BeforeEach
    void setUp() {
        guest = new FakeGuest();
    }

    @AfterEach
    void tearDown() {
        guest.close();
    }

    @Test
    void writeFlushReadOneMebibyteOnRam() {
        try (VirtioBlock disk = VirtioBlock.ram(4L * MIB).build()) {
            byte[] data = writeFlushRead(disk, 100);
            assertThat(disk.bytesWritten()).isEqualTo(MIB);
            assertThat(disk.bytesRead()).isEqualTo(MIB);
            assertThat(data).hasSize(MIB);
        }
    }

    @Test
    void writeFlushReadOneMebibyteOnAFileMatchesTheFile() throws IOException {
        Path image = tmp.resolve("disk.img");
        Files.write(image, new byte[4 * MIB]);
        byte[] data;
        try (VirtioBlock disk = VirtioBlock.file(image).build()) {
            assertThat(disk.capacitySectors()).isEqualTo(4L * MIB / 512);
            data = writeFlushRead(disk, 8);
        }
        byte[] onDisk = Files.readAllBytes(image);
        assertThat(Arrays.equals(onDisk, 8 * 512, 8 * 512 + MIB, data, 0, MIB)).as("the file holds what the guest wrote")
                .isTrue();
        assertThat(onDisk[8 * 512 - 1]).isZero();
    }

    /** Writes 1 MiB at {@code sector} in 64 KiB requests (data split over both RAM ranges), flushes, reads back. */
    private byte[] writeFlushRead(VirtioBlock disk, long sector) {
        BlockGuest g = new BlockGuest(guest, disk).init();
        byte[] data = new byte[MIB];
        new Random(1).nextBytes(data);
        long out = guest.alloc(MIB, 4096);
        long in = guest.alloc(MIB, 4096);
        g.d.put(out, data);
        int chunk = 64 * 1024;
        long other = FakeGuest.B_BASE;
        for (int at = 0; at < MIB; at += chunk) {
            // First half from RAM A, second half copied to RAM B: one request spans both ranges.
            g.d.put(other, Arrays.copyOfRange(data, at + chunk / 2, at + chunk));
            assertThat(g.request(VIRTIO_BLK_T_OUT, sector + at / 512, Buf.out(out + at, chunk / 2),
                    Buf.out(other, chunk / 2))).isEqualTo(VIRTIO_BLK_S_OK);
        }
        assertThat(g.request(VIRTIO_BLK_T_FLUSH, 0)).isEqualTo(VIRTIO_BLK_S_OK);
        // Read back in 16 requests posted together, one kick.
        int[] heads = new int[MIB / chunk];
        for (int i = 0; i < heads.length; i++) {
            heads[i] = g.post(VIRTIO_BLK_T_IN, sector + (long) i * chunk / 512, Buf.in(in + (long) i * chunk, chunk));
        }
        List<Used> used = g.run();
        assertThat(used).hasSize(heads.length);
        for (Used u : used) {
            assertThat(u.len()).isEqualTo(chunk + 1);
            assertThat(g.status(u.head())).isEqualTo(VIRTIO_BLK_S_OK);
        }
        byte[] back = g.d.bytes(in, MIB);
        assertThat(Arrays.equals(back, data)).as("read back what was written").isTrue();
        assertThat(g.d.device.failure()).isEmpty();
        assertThat(guest.canariesIntact()).isTrue();
        return back;
    }

    @Test
    void getIdReturnsTheSerialPaddedToTwentyBytes() {
        try (VirtioBlock disk = VirtioBlock.ram(MIB).id("jktstr-disk-1").build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            long buf = guest.alloc(20, 1);
            g.d.put(buf, "XXXXXXXXXXXXXXXXXXXX".getBytes(StandardCharsets.UTF_8));
            assertThat(g.request(VIRTIO_BLK_T_GET_ID, 0, Buf.in(buf, 20))).isEqualTo(VIRTIO_BLK_S_OK);
            byte[] expected = Arrays.copyOf("jktstr-disk-1".getBytes(StandardCharsets.UTF_8), 20);
            assertThat(g.d.bytes(buf, 20)).isEqualTo(expected);
            // A shorter buffer gets a prefix.
            long small = guest.alloc(8, 1);
            assertThat(g.request(VIRTIO_BLK_T_GET_ID, 0, Buf.in(small, 8))).isEqualTo(VIRTIO_BLK_S_OK);
            assertThat(g.d.bytes(small, 8)).isEqualTo(Arrays.copyOf(expected, 8));
        }
        assertThatThrownBy(() -> VirtioBlock.ram(MIB).id("twenty-one-bytes-long")).isInstanceOf(VirtioException.class)
                .hasMessageContaining("21 bytes");
    }

    @Test
    void readOnlyDiskRefusesWritesAndFlushes() throws IOException {
        Path image = tmp.resolve("ro.img");
        byte[] content = new byte[64 * 1024];
        new Random(3).nextBytes(content);
        Files.write(image, content);
        try (VirtioBlock disk = VirtioBlock.file(image).readOnly(true).build()) {
            assertThat(disk.readOnly()).isTrue();
            BlockGuest g = new BlockGuest(guest, disk);
            long offered = g.d.deviceFeatures();
            assertThat(offered & (1L << VIRTIO_BLK_F_RO)).isNotZero();
            assertThat(offered & (1L << VIRTIO_BLK_F_FLUSH)).isZero();
            g.init();
            long buf = guest.alloc(4096, 512);
            assertThat(g.request(VIRTIO_BLK_T_IN, 8, Buf.in(buf, 4096))).isEqualTo(VIRTIO_BLK_S_OK);
            assertThat(g.d.bytes(buf, 4096)).isEqualTo(Arrays.copyOfRange(content, 4096, 8192));
            assertThat(g.request(VIRTIO_BLK_T_OUT, 0, Buf.out(buf, 4096))).isEqualTo(VIRTIO_BLK_S_IOERR);
            assertThat(g.request(VIRTIO_BLK_T_FLUSH, 0)).isEqualTo(VIRTIO_BLK_S_UNSUPP);
            assertThat(g.d.device.failed()).isFalse();
        }
        assertThat(Files.readAllBytes(image)).isEqualTo(content);
    }

    @Test
    void outOfRangeAndMisalignedRequestsGetIoErr() {
        try (VirtioBlock disk = VirtioBlock.ram(MIB).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            long cap = disk.capacitySectors();
            long buf = guest.alloc(4096, 512);
            assertThat(g.request(VIRTIO_BLK_T_IN, cap, Buf.in(buf, 512))).isEqualTo(VIRTIO_BLK_S_IOERR);
            assertThat(g.request(VIRTIO_BLK_T_IN, cap - 1, Buf.in(buf, 1024))).isEqualTo(VIRTIO_BLK_S_IOERR);
            assertThat(g.request(VIRTIO_BLK_T_OUT, cap - 1, Buf.out(buf, 1024))).isEqualTo(VIRTIO_BLK_S_IOERR);
            assertThat(g.request(VIRTIO_BLK_T_IN, Long.MIN_VALUE, Buf.in(buf, 512))).isEqualTo(VIRTIO_BLK_S_IOERR);
            assertThat(g.request(VIRTIO_BLK_T_IN, -1, Buf.in(buf, 512))).isEqualTo(VIRTIO_BLK_S_IOERR);
            assertThat(g.request(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 100))).isEqualTo(VIRTIO_BLK_S_IOERR);
            assertThat(g.request(VIRTIO_BLK_T_IN, cap - 1, Buf.in(buf, 512))).isEqualTo(VIRTIO_BLK_S_OK);
            assertThat(g.request(99, 0)).isEqualTo(VIRTIO_BLK_S_UNSUPP);
            assertThat(g.request(VIRTIO_BLK_T_DISCARD, 0, Buf.out(buf, 16))).isEqualTo(VIRTIO_BLK_S_UNSUPP);
            assertThat(disk.errors()).isEqualTo(8);
            assertThat(g.d.device.failed()).isFalse();
        }
    }

    @Test
    void hostSideMisuseIsAVirtioException() throws IOException {
        Path odd = tmp.resolve("odd.img");
        Files.write(odd, new byte[1000]);
        assertThatThrownBy(() -> VirtioBlock.file(odd).build()).isInstanceOf(VirtioException.class)
                .hasMessageContaining("1000 bytes, not a multiple of 512");
        assertThatThrownBy(() -> VirtioBlock.file(tmp.resolve("missing.img")).build())
                .isInstanceOf(VirtioException.class).hasMessageContaining("missing.img");
        assertThatThrownBy(() -> VirtioBlock.ram(0)).isInstanceOf(VirtioException.class);
        assertThatThrownBy(() -> VirtioBlock.ram(1000)).isInstanceOf(VirtioException.class);
        assertThatThrownBy(() -> VirtioBlock.ram(MIB).bytesPerSecond(-1)).isInstanceOf(VirtioException.class);
    }

    @Test
    void malformedRequestsFailTheDevice() {
        record Case(String reason, Buf[] bufs) {}
        long a = guest.alloc(4096, 512);
        List<Case> cases = List.of(
                new Case("less than its 16-byte header", new Buf[] {Buf.out(a, 8), Buf.in(a + 100, 1)}),
                new Case("no device-writable status byte", new Buf[] {Buf.out(a, 16)}),
                new Case("IN request at head 0 puts 512 data bytes in device-readable buffers",
                        new Buf[] {Buf.out(a, 16), Buf.out(a + 512, 512), Buf.in(a + 100, 1)}),
                new Case("device-readable descriptor after a device-writable one",
                        new Buf[] {Buf.out(a, 16), Buf.in(a + 512, 512), Buf.out(a + 100, 1)}));
        for (Case c : cases) {
            try (VirtioBlock disk = VirtioBlock.ram(MIB).build()) {
                BlockGuest g = new BlockGuest(guest, disk).init();
                g.d.seg(a, 16).fill((byte) 0); // an IN header
                g.q.post(c.bufs());
                g.run();
                assertThat(g.d.device.failure()).as(c.reason()).get().asString().contains(c.reason());
                assertThat(g.d.read(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET).isNotZero();
                // Stopped: a good request is not served until the driver resets.
                long buf = guest.alloc(512, 512);
                g.post(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512));
                assertThat(g.run()).isEmpty();
                g.d.write(VIRTIO_MMIO_STATUS, 0);
                g.init();
                assertThat(g.request(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512))).isEqualTo(VIRTIO_BLK_S_OK);
            }
        }
    }

    @Test
    void indirectRequests() {
        try (VirtioBlock disk = VirtioBlock.ram(MIB).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            g.q.indirect = true;
            long buf = guest.alloc(8192, 512);
            byte[] data = new byte[8192];
            new Random(5).nextBytes(data);
            g.d.put(buf, data);
            assertThat(g.request(VIRTIO_BLK_T_OUT, 3, Buf.out(buf, 4096), Buf.out(buf + 4096, 4096)))
                    .isEqualTo(VIRTIO_BLK_S_OK);
            long back = guest.alloc(8192, 512);
            assertThat(g.request(VIRTIO_BLK_T_IN, 3, Buf.in(back, 1024), Buf.in(back + 1024, 7168)))
                    .isEqualTo(VIRTIO_BLK_S_OK);
            assertThat(g.d.bytes(back, 8192)).isEqualTo(data);
        }
    }

    @Test
    void eventIdxSuppressesInterruptsUntilUsedEventIsPassed() {
        try (VirtioBlock disk = VirtioBlock.ram(MIB).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            long buf = guest.alloc(512, 512);
            g.request(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512));
            assertThat(g.d.interruptCount.get()).as("the first used buffer always interrupts").isEqualTo(1);
            assertThat(g.q.availEvent()).as("avail_event published when the ring ran dry").isEqualTo(1);
            g.q.usedEvent(5); // interrupt me when used idx passes 5
            for (int i = 2; i <= 5; i++) {
                g.request(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512));
                assertThat(g.d.interruptCount.get()).as("used idx %d", i).isEqualTo(1);
            }
            g.request(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512));
            assertThat(g.d.interruptCount.get()).isEqualTo(2);
            assertThat(g.d.read(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING).isNotZero();
            // Several in one batch: one interrupt if used_event lies inside the batch.
            g.q.usedEvent(8);
            for (int i = 0; i < 4; i++) {
                g.post(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512));
            }
            assertThat(g.run()).hasSize(4);
            assertThat(g.d.interruptCount.get()).isEqualTo(3);
            assertThat(g.q.availEvent()).isEqualTo(10);
        }
    }

    @Test
    void withoutEventIdxNoInterruptFlagSuppresses() {
        try (VirtioBlock disk = VirtioBlock.ram(MIB).build()) {
            BlockGuest g = new BlockGuest(guest, disk);
            assertThat(g.d.negotiate((1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_RING_F_INDIRECT_DESC))).isTrue();
            g.start();
            long buf = guest.alloc(512, 512);
            g.q.availFlags(VRING_AVAIL_F_NO_INTERRUPT);
            g.request(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512));
            assertThat(g.d.interruptCount.get()).isZero();
            g.q.availFlags(0);
            g.request(VIRTIO_BLK_T_IN, 0, Buf.in(buf, 512));
            assertThat(g.d.interruptCount.get()).isEqualTo(1);
            assertThat(g.q.availEvent()).as("not written without EVENT_IDX").isZero();
        }
    }

    @Test
    void byteThrottleDelaysTheWorkerAndAccountsEveryByte() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        try (VirtioBlock disk = VirtioBlock.ram(4L * MIB).bytesPerSecond(MIB).clock(now::get).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            long buf = guest.alloc(MIB / 2, 4096);
            for (int i = 0; i < 4; i++) {
                g.post(VIRTIO_BLK_T_IN, 0, Buf.in(buf, MIB / 2));
            }
            // 1 MiB of tokens: requests 1 and 2 empty the bucket, 3 may still start (not in debt)
            // and leaves it 512 KiB in debt, so 4 waits half a second.
            assertThat(g.run()).hasSize(3);
            TokenBucket bucket = disk.byteBucket();
            assertThat(bucket.charged()).isEqualTo(3L * MIB / 2);
            assertThat(bucket.waits()).isEqualTo(1);
            assertThat(bucket.waitedNanos()).isEqualTo(500_000_000L);
            g.d.device.processNow();
            assertThat(g.q.reap()).as("no time passed").isEmpty();
            assertThat(bucket.waits()).as("the same wait").isEqualTo(1);
            now.addAndGet(500_000_000L);
            assertThat(g.run()).hasSize(1);
            assertThat(bucket.charged()).isEqualTo(2L * MIB);
            assertThat(disk.requests()).isEqualTo(4);
        }
    }

    @Test
    void iopsThrottleCountsRequests() {
        AtomicLong now = new AtomicLong();
        try (VirtioBlock disk = VirtioBlock.ram(MIB).iops(2).clock(now::get).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            for (int i = 0; i < 5; i++) {
                g.post(VIRTIO_BLK_T_FLUSH, 0);
            }
            assertThat(g.run()).hasSize(3);
            assertThat(disk.requestBucket().waitedNanos()).isEqualTo(500_000_000L);
            now.addAndGet(500_000_000L);
            assertThat(g.run()).hasSize(1);
            now.addAndGet(500_000_000L);
            assertThat(g.run()).hasSize(1);
            assertThat(disk.requestBucket().charged()).isEqualTo(5);
            assertThat(disk.requestBucket().waits()).isEqualTo(2);
        }
    }

    @Test
    void throttledWorkerThreadFinishesEveryRequest() throws InterruptedException {
        try (VirtioBlock disk = VirtioBlock.ram(MIB).iops(20).build()) {
            BlockGuest g = new BlockGuest(guest, disk).init();
            g.d.device.start();
            try {
                for (int i = 0; i < 24; i++) {
                    g.post(VIRTIO_BLK_T_FLUSH, 0);
                }
                g.q.kick();
                int done = 0;
                while (done < 24) {
                    g.d.awaitInterrupt(50);
                    done += g.q.reap().size();
                }
                assertThat(disk.requestBucket().waits()).isPositive();
            } finally {
                g.d.device.close();
            }
        }
    }
}
