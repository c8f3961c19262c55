package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TransportTest {

    private FakeGuest guest;

    @BeforeEach
    void setUp() {
        guest = new FakeGuest();
    }

    @AfterEach
    void tearDown() {
        guest.close();
    }

    private TestDriver console() {
        return new TestDriver(guest, VirtioConsole.withNamedPorts(List.of("jktstr.ctl")), "console");
    }

    @Test
    void identifiesItselfAsVirtioMmioVersion2() {
        TestDriver d = console();
        assertThat(d.read(VIRTIO_MMIO_MAGIC_VALUE)).isEqualTo(0x74726976);
        assertThat(d.read(VIRTIO_MMIO_VERSION)).isEqualTo(2);
        assertThat(d.read(VIRTIO_MMIO_DEVICE_ID)).isEqualTo(VIRTIO_ID_CONSOLE);
        assertThat(d.read(VIRTIO_MMIO_VENDOR_ID)).isEqualTo(0x4A4B5453);
        assertThat(d.read(VIRTIO_MMIO_STATUS)).isZero();
        assertThat(d.read(VIRTIO_MMIO_CONFIG_GENERATION)).isZero();
        // No shared memory regions: length reads -1.
        d.write(VIRTIO_MMIO_SHM_SEL, 0);
        assertThat(d.read(VIRTIO_MMIO_SHM_LEN_LOW)).isEqualTo(-1);
        assertThat(d.read(VIRTIO_MMIO_SHM_LEN_HIGH)).isEqualTo(-1);
        // Only aligned 32-bit register accesses mean something.
        assertThat(d.device.read(VIRTIO_MMIO_MAGIC_VALUE, 2)).isZero();
        assertThat(d.device.read(VIRTIO_MMIO_MAGIC_VALUE + 1, 4)).isZero();
        // Outside the window (the VMM reserves a page): nothing, and no aliasing onto registers.
        assertThat(d.device.read(0x1000 + VIRTIO_MMIO_MAGIC_VALUE, 4)).isZero();
        assertThat(d.device.read((1L << 32) + VIRTIO_MMIO_MAGIC_VALUE, 4)).isZero();
        assertThat(d.device.read(-4, 4)).isZero();
        d.device.write((1L << 32) + VIRTIO_MMIO_STATUS, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE);
        assertThat(d.read(VIRTIO_MMIO_STATUS)).isZero();
        assertThat(VirtioMmioDevice.kernelCommandLineArg(0xd0000000L, 5)).isEqualTo("virtio_mmio.device=4K@0xd0000000:5");
        assertThat(VirtioMmioDevice.QUEUE_NOTIFY_OFFSET).isEqualTo(0x50);
        assertThat(d.device.name()).isEqualTo("console");
    }

    @Test
    void offersVersion1RingFeaturesAndDeviceFeatures() {
        TestDriver d = console();
        long offered = d.deviceFeatures();
        assertThat(offered).isEqualTo((1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_RING_F_EVENT_IDX)
                | (1L << VIRTIO_RING_F_INDIRECT_DESC) | (1L << VIRTIO_CONSOLE_F_MULTIPORT));
        d.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
        assertThat(d.read(VIRTIO_MMIO_DEVICE_FEATURES)).isZero();
        assertThat(d.negotiate(offered)).isTrue();
        assertThat(d.negotiate(1L << VIRTIO_F_VERSION_1)).isTrue();
    }

    @Test
    void refusesDriversWithoutVersion1OrWithUnofferedFeatures() {
        TestDriver d = console();
        assertThat(d.negotiate(1L << VIRTIO_CONSOLE_F_MULTIPORT)).as("legacy driver").isFalse();
        assertThat(d.negotiate((1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_F_RING_PACKED))).as("packed ring").isFalse();
        assertThat(d.negotiate((1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_CONSOLE_F_SIZE))).isFalse();
        // Bits beyond 64 are not offered either.
        d.negotiate(1L << VIRTIO_F_VERSION_1);
        d.write(VIRTIO_MMIO_STATUS, 0);
        d.write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
        d.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        d.write(VIRTIO_MMIO_DRIVER_FEATURES, 1);
        d.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
        d.write(VIRTIO_MMIO_DRIVER_FEATURES, 1);
        d.write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
        assertThat(d.read(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK).isZero();
        // DRIVER_OK without FEATURES_OK does not stick.
        d.driverOk();
        assertThat(d.read(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK).isZero();
    }

    @Test
    void featuresAreFixedOnceAccepted() {
        TestDriver d = console();
        assertThat(d.negotiate(1L << VIRTIO_F_VERSION_1)).isTrue();
        d.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        d.write(VIRTIO_MMIO_DRIVER_FEATURES, 1 << VIRTIO_CONSOLE_F_MULTIPORT);
        d.queue(VirtioConsole.CONTROL_RECEIVE, 8);
        d.driverOk();
        // The late MULTIPORT bit was ignored: the device works as a single-port console.
        assertThat(d.read(VIRTIO_MMIO_STATUS)).isEqualTo(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER
                | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    }

    @Test
    void queueRegistersFollowQueueSel() {
        TestDriver d = console();
        d.negotiateAll();
        for (int q = 0; q < 6; q++) {
            d.write(VIRTIO_MMIO_QUEUE_SEL, q);
            assertThat(d.read(VIRTIO_MMIO_QUEUE_NUM_MAX)).isEqualTo(256);
            assertThat(d.read(VIRTIO_MMIO_QUEUE_READY)).isZero();
        }
        d.write(VIRTIO_MMIO_QUEUE_SEL, 6);
        assertThat(d.read(VIRTIO_MMIO_QUEUE_NUM_MAX)).as("a queue the device does not have").isZero();
        d.write(VIRTIO_MMIO_QUEUE_READY, 1);
        assertThat(d.read(VIRTIO_MMIO_QUEUE_READY)).isZero();
        d.queue(1, 64);
        d.write(VIRTIO_MMIO_QUEUE_SEL, 1);
        assertThat(d.read(VIRTIO_MMIO_QUEUE_READY)).isEqualTo(1);
        d.write(VIRTIO_MMIO_QUEUE_READY, 0);
        assertThat(d.read(VIRTIO_MMIO_QUEUE_READY)).isZero();
        assertThat(d.device.failed()).isFalse();
    }

    @Test
    void configSpaceIsLittleEndianAndBounded() {
        TestDriver d = console();
        assertThat(d.device.read(VIRTIO_MMIO_CONFIG + 4, 4)).as("max_nr_ports").isEqualTo(2);
        assertThat(d.device.read(VIRTIO_MMIO_CONFIG + 4, 1)).isEqualTo(2);
        assertThat(d.device.read(VIRTIO_MMIO_CONFIG + 4, 8)).isEqualTo(2);
        assertThat(d.device.read(VIRTIO_MMIO_CONFIG + 12, 4)).as("past the config space").isZero();
        assertThat(d.device.read(VIRTIO_MMIO_CONFIG + 4, 3)).as("odd size").isZero();
        d.device.write(VIRTIO_MMIO_CONFIG + 4, 4, 99);
        assertThat(d.device.read(VIRTIO_MMIO_CONFIG + 4, 4)).isEqualTo(2);

        try (VirtioBlock block = VirtioBlock.ram(1 << 20).build()) {
            TestDriver b = new TestDriver(guest, block, "blk");
            assertThat(b.device.read(VIRTIO_MMIO_CONFIG, 8)).as("capacity in sectors").isEqualTo(2048);
            assertThat(b.device.read(VIRTIO_MMIO_CONFIG + 12, 4)).as("seg_max").isEqualTo(254);
        }
    }

    @Test
    void invalidQueueConfigurationsFailTheDevice() {
        record Case(String reason, int size, long desc, long avail, long used) {}
        long ok = 0x10000;
        List<Case> cases = List.of(
                new Case("size 3 is not a power of two", 3, ok, ok + 0x1000, ok + 0x2000),
                new Case("size 512 is not a power of two between 1 and 256", 512, ok, ok + 0x1000, ok + 0x2000),
                new Case("size 0 is not", 0, ok, ok + 0x1000, ok + 0x2000),
                new Case("descriptor table at 0x10008 is not 16-byte aligned", 8, ok + 8, ok + 0x1000, ok + 0x2000),
                new Case("used ring at 0x12002 is not 4-byte aligned", 8, ok, ok + 0x1000, ok + 0x2002),
                new Case("available ring at 0x800000", 8, ok, FakeGuest.HOLE, ok + 0x2000),
                new Case("descriptor table at 0x7fff80 (256 bytes) is not inside guest RAM", 16,
                        FakeGuest.HOLE - 0x80 + 0x0, ok + 0x1000, ok + 0x2000),
                new Case("used ring at 0x10000000000", 8, ok, ok + 0x1000, 1L << 40));
        for (Case c : cases) {
            TestDriver d = console();
            d.negotiateAll();
            int before = d.interruptCount.get();
            d.queue(0, c.size(), c.desc(), c.avail(), c.used());
            assertThat(d.device.failed()).as(c.reason()).isTrue();
            assertThat(d.device.failure()).get().asString().contains(c.reason());
            assertThat(d.read(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET).isNotZero();
            assertThat(d.read(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG).isNotZero();
            assertThat(d.interruptCount.get()).isEqualTo(before + 1);
            d.write(VIRTIO_MMIO_QUEUE_SEL, 0);
            assertThat(d.read(VIRTIO_MMIO_QUEUE_READY)).isZero();
            // Reset clears the failure.
            d.write(VIRTIO_MMIO_STATUS, 0);
            assertThat(d.device.failed()).isFalse();
            assertThat(d.read(VIRTIO_MMIO_STATUS)).isZero();
            assertThat(d.read(VIRTIO_MMIO_INTERRUPT_STATUS)).isZero();
        }
    }

    @Test
    void interruptAckClearsBits() {
        TestDriver d = console();
        d.negotiateAll();
        d.queue(0, 3, 0x10000, 0x11000, 0x12000); // fails: raises the config interrupt
        assertThat(d.read(VIRTIO_MMIO_INTERRUPT_STATUS)).isEqualTo(VIRTIO_MMIO_INT_CONFIG);
        d.write(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
        assertThat(d.read(VIRTIO_MMIO_INTERRUPT_STATUS)).isZero();
    }

    @Test
    void queueNotifyOnlyRingsTheDoorbell() throws InterruptedException {
        Doorbell bell = Doorbell.inMemory();
        TestDriver d = new TestDriver(guest, VirtioConsole.withNamedPorts(List.of()), "console", bell);
        d.write(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
        bell.await(); // returns at once: rung since the last return
        assertThat(d.device.status()).isZero();
    }

    @Test
    void processNowIsRefusedOnceStarted() {
        TestDriver d = console();
        d.device.start();
        try {
            assertThatThrownBy(d.device::processNow).isInstanceOf(VirtioException.class);
            assertThatThrownBy(d.device::start).isInstanceOf(VirtioException.class)
                    .hasMessageContaining("already started");
        } finally {
            d.device.close();
        }
        assertThatThrownBy(d.device::start).isInstanceOf(VirtioException.class).hasMessageContaining("closed");
        d.device.close(); // idempotent
    }
}
