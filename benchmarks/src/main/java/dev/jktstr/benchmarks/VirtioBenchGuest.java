package dev.jktstr.benchmarks;

import static dev.jktstr.bindings.virtio.VirtioH.*;

import dev.jktstr.machine.GuestMemory;
import dev.jktstr.virtio.Doorbell;
import dev.jktstr.virtio.VirtioDevice;
import dev.jktstr.virtio.VirtioMmioDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A minimal guest driver for the in-process virtio benchmarks ({@link VirtioConsoleBench},
 * {@link VirtioBlkBench}): guest RAM in an {@link Arena}, the device's registers, and split rings
 * written by hand; interrupts are a semaphore, and the device runs on its own worker thread as in
 * the VMM.
 */
final class VirtioBenchGuest {

    static final int MIB = 1 << 20;

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private VirtioBenchGuest() {
    }

    /** Guest RAM: one range at guest-physical 0, and a bump allocator. */
    static final class Ram implements AutoCloseable {
        final Arena arena = Arena.ofShared();
        final MemorySegment segment;
        final GuestMemory memory;
        long next = 0x1000;

        Ram(long size) {
            segment = arena.allocate(size, 4096);
            memory = GuestMemory.of(List.of(new GuestMemory.Mapping(0, segment)));
        }

        long alloc(long size) {
            long at = (next + 4095) & ~4095L;
            next = at + size;
            return at;
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** The driver side of a device: registers, and split rings whose chains all have the same length. */
    static final class Driver implements AutoCloseable {
        final Ram ram;
        final VirtioMmioDevice device;
        final Semaphore interrupts = new Semaphore(0);

        Driver(Ram ram, String name, VirtioDevice dev, long features) {
            this.ram = ram;
            this.device = new VirtioMmioDevice(name, dev, ram.memory, interrupts::release, Doorbell.inMemory());
            reg(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
            reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
            reg(VIRTIO_MMIO_DRIVER_FEATURES, (int) features);
            reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
            reg(VIRTIO_MMIO_DRIVER_FEATURES, (int) (features >>> 32));
            reg(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
            if ((device.read(VIRTIO_MMIO_STATUS, 4) & VIRTIO_CONFIG_S_FEATURES_OK) == 0) {
                throw new IllegalStateException("features refused");
            }
        }

        void reg(int offset, int value) {
            device.write(offset, 4, Integer.toUnsignedLong(value));
        }

        void driverOk() {
            reg(VIRTIO_MMIO_STATUS, (int) device.read(VIRTIO_MMIO_STATUS, 4) | VIRTIO_CONFIG_S_DRIVER_OK);
            device.start();
        }

        /** Waits for an interrupt (or 1 ms, then the caller polls the used ring anyway). */
        void await() throws InterruptedException {
            interrupts.tryAcquire(1, TimeUnit.MILLISECONDS);
            interrupts.drainPermits();
            device.write(VIRTIO_MMIO_INTERRUPT_ACK, 4, device.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4));
        }

        @Override
        public void close() {
            device.close();
        }
    }

    /** A split ring of {@code slots} chains of {@code perChain} descriptors each; slot s uses descriptors from s * perChain. */
    static final class Ring {
        final Driver driver;
        final int index;
        final int size;
        final int perChain;
        final MemorySegment desc;
        final MemorySegment avail;
        final MemorySegment used;
        final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
        int availIdx;
        int usedSeen;

        Ring(Driver driver, int index, int size, int perChain) {
            this.driver = driver;
            this.index = index;
            this.size = size;
            this.perChain = perChain;
            Ram ram = driver.ram;
            long d = ram.alloc(16L * size);
            long a = ram.alloc(6 + 2L * size);
            long u = ram.alloc(6 + 8L * size);
            desc = ram.memory.segment(d, 16L * size);
            avail = ram.memory.segment(a, 6 + 2L * size);
            used = ram.memory.segment(u, 6 + 8L * size);
            driver.reg(VIRTIO_MMIO_QUEUE_SEL, index);
            driver.reg(VIRTIO_MMIO_QUEUE_NUM, size);
            driver.reg(VIRTIO_MMIO_QUEUE_DESC_LOW, (int) d);
            driver.reg(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (int) a);
            driver.reg(VIRTIO_MMIO_QUEUE_USED_LOW, (int) u);
            driver.reg(VIRTIO_MMIO_QUEUE_READY, 1);
            for (int s = 0; s < size / perChain; s++) {
                freeSlots.add(s);
            }
        }

        /** Publishes slot {@code slot}'s chain: (address, length, device-writable) per descriptor. */
        void post(int slot, long[] addr, int[] len, boolean[] writable) {
            int first = slot * perChain;
            for (int i = 0; i < perChain; i++) {
                long at = 16L * (first + i);
                boolean last = i == perChain - 1;
                desc.set(U64, at, addr[i]);
                desc.set(U32, at + 8, len[i]);
                desc.set(U16, at + 12, (short) ((writable[i] ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT)));
                desc.set(U16, at + 14, (short) (first + i + 1));
            }
            avail.set(U16, 4 + 2L * (availIdx % size), (short) first);
            availIdx = (availIdx + 1) & 0xffff;
            java.lang.invoke.VarHandle.releaseFence();
            avail.set(U16, 2, (short) availIdx);
        }

        void kick() {
            driver.reg(VIRTIO_MMIO_QUEUE_NOTIFY, index);
        }

        /** Slots whose chains came back since the last call, with the bytes written, into {@code out}. */
        int reap(int[] slots, int[] lens) {
            int usedIdx = Short.toUnsignedInt(used.get(U16, 2));
            java.lang.invoke.VarHandle.acquireFence();
            int n = 0;
            while (usedSeen != usedIdx) {
                long at = 4 + 8L * (usedSeen % size);
                int slot = used.get(U32, at) / perChain;
                slots[n] = slot;
                lens[n] = used.get(U32, at + 4);
                freeSlots.add(slot);
                n++;
                usedSeen = (usedSeen + 1) & 0xffff;
            }
            return n;
        }
    }
}
