package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;

import dev.jktstr.machine.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays the guest's driver over a {@link FakeGuest}: register accesses as a vCPU would make them,
 * split rings laid out in fake RAM, buffers posted and used elements reaped. Also offers raw
 * access (descriptors, ring indices) for the malicious-guest tests.
 */
final class TestDriver {

    /** A buffer of a chain: {@code len} bytes at {@code gpa}, device-writable or not. */
    record Buf(long gpa, int len, boolean writable) {
        static Buf in(long gpa, int len) {
            return new Buf(gpa, len, true);
        }

        static Buf out(long gpa, int len) {
            return new Buf(gpa, len, false);
        }
    }

    /** A used element. */
    record Used(int head, int len) {}

    final FakeGuest guest;
    final GuestMemory memory;
    final VirtioMmioDevice device;
    final Doorbell doorbell;
    final AtomicInteger interruptCount = new AtomicInteger();
    private final Semaphore interrupts = new Semaphore(0);
    long features;

    TestDriver(FakeGuest guest, VirtioDevice dev, String name) {
        this(guest, dev, name, Doorbell.inMemory());
    }

    TestDriver(FakeGuest guest, VirtioDevice dev, String name, Doorbell doorbell) {
        this.guest = guest;
        this.memory = guest.memory;
        this.doorbell = doorbell;
        this.device = new VirtioMmioDevice(name, dev, guest.memory, () -> {
            interruptCount.incrementAndGet();
            interrupts.release();
        }, doorbell);
    }

    int read(int offset) {
        return (int) device.read(offset, 4);
    }

    void write(int offset, int value) {
        device.write(offset, 4, Integer.toUnsignedLong(value));
    }

    long deviceFeatures() {
        write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        long low = Integer.toUnsignedLong(read(VIRTIO_MMIO_DEVICE_FEATURES));
        write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        long high = Integer.toUnsignedLong(read(VIRTIO_MMIO_DEVICE_FEATURES));
        return low | (high << 32);
    }

    /** Resets, acknowledges, writes {@code wanted} as the driver's features; returns whether FEATURES_OK stuck. */
    boolean negotiate(long wanted) {
        write(VIRTIO_MMIO_STATUS, 0);
        write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
        write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
        write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        write(VIRTIO_MMIO_DRIVER_FEATURES, (int) wanted);
        write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        write(VIRTIO_MMIO_DRIVER_FEATURES, (int) (wanted >>> 32));
        write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
        features = wanted;
        return (read(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK) != 0;
    }

    /** Negotiates everything the device offers. */
    long negotiateAll() {
        long offered = deviceFeatures();
        if (!negotiate(offered)) {
            throw new AssertionError("device refused its own features " + Long.toHexString(offered));
        }
        return offered;
    }

    void driverOk() {
        write(VIRTIO_MMIO_STATUS, read(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
    }

    /** Lays out queue {@code index} with {@code size} entries in fresh RAM and makes it ready. */
    GuestQueue queue(int index, int size) {
        long desc = guest.alloc(16L * size, 16);
        long avail = guest.alloc(6 + 2L * size, 2);
        long used = guest.alloc(6 + 8L * size, 4);
        return queue(index, size, desc, avail, used);
    }

    GuestQueue queue(int index, int size, long desc, long avail, long used) {
        write(VIRTIO_MMIO_QUEUE_SEL, index);
        write(VIRTIO_MMIO_QUEUE_NUM, size);
        write(VIRTIO_MMIO_QUEUE_DESC_LOW, (int) desc);
        write(VIRTIO_MMIO_QUEUE_DESC_HIGH, (int) (desc >>> 32));
        write(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (int) avail);
        write(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (int) (avail >>> 32));
        write(VIRTIO_MMIO_QUEUE_USED_LOW, (int) used);
        write(VIRTIO_MMIO_QUEUE_USED_HIGH, (int) (used >>> 32));
        write(VIRTIO_MMIO_QUEUE_READY, 1);
        return new GuestQueue(index, size, desc, avail, used);
    }

    /** Waits up to {@code millis} for an interrupt; true if one came. */
    boolean awaitInterrupt(long millis) throws InterruptedException {
        boolean got = interrupts.tryAcquire(millis, TimeUnit.MILLISECONDS);
        interrupts.drainPermits();
        return got;
    }

    /** Acknowledges whatever InterruptStatus shows, as Linux's vm_interrupt does. */
    int ackInterrupts() {
        int pending = read(VIRTIO_MMIO_INTERRUPT_STATUS);
        write(VIRTIO_MMIO_INTERRUPT_ACK, pending);
        return pending;
    }

    final class GuestQueue {
        final int index;
        final int size;
        final long desc;
        final long avail;
        final long used;
        private final Deque<Integer> free = new ArrayDeque<>();
        private final Map<Integer, List<Integer>> chains = new HashMap<>();
        private int availIdx;
        private int lastUsed;
        boolean indirect;
        private long indirectTables;
        static final int INDIRECT_ENTRIES = 16;

        GuestQueue(int index, int size, long desc, long avail, long used) {
            this.index = index;
            this.size = size;
            this.desc = desc;
            this.avail = avail;
            this.used = used;
            for (int i = 0; i < size; i++) {
                free.add(i);
            }
        }

        /** The descriptor the next one-descriptor chain will use. */
        int nextFree() {
            Integer next = free.peek();
            if (next == null) {
                throw new IllegalStateException("queue " + index + " has no free descriptor");
            }
            return next;
        }

        int freeDescriptors() {
            return free.size();
        }

        int inFlight() {
            return chains.size();
        }

        /** Posts a chain (direct, or one indirect descriptor when {@link #indirect}); returns its head or -1. */
        int post(Buf... bufs) {
            if (indirect) {
                if (free.isEmpty() || bufs.length > INDIRECT_ENTRIES) {
                    return -1;
                }
                if (indirectTables == 0) {
                    indirectTables = guest.alloc(16L * INDIRECT_ENTRIES * size, 16);
                }
                int head = free.poll();
                long table = indirectTables + 16L * INDIRECT_ENTRIES * head;
                for (int i = 0; i < bufs.length; i++) {
                    boolean last = i == bufs.length - 1;
                    writeDescAt(table, i, bufs[i].gpa(), bufs[i].len(),
                            (bufs[i].writable() ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT), i + 1);
                }
                writeDesc(head, table, 16 * bufs.length, VRING_DESC_F_INDIRECT, 0);
                chains.put(head, List.of(head));
                publish(head);
                return head;
            }
            if (free.size() < bufs.length) {
                return -1;
            }
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < bufs.length; i++) {
                ids.add(free.poll());
            }
            for (int i = 0; i < bufs.length; i++) {
                boolean last = i == bufs.length - 1;
                writeDesc(ids.get(i), bufs[i].gpa(), bufs[i].len(),
                        (bufs[i].writable() ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT),
                        last ? 0 : ids.get(i + 1));
            }
            chains.put(ids.get(0), ids);
            publish(ids.get(0));
            return ids.get(0);
        }

        /** Puts {@code head} into the available ring and moves the index. */
        void publish(int head) {
            seg(avail + 4 + 2L * (availIdx % size), 2).set(Virtqueue.U16, 0, (short) head);
            availIdx = (availIdx + 1) & 0xffff;
            seg(avail + 2, 2).set(Virtqueue.U16, 0, (short) availIdx);
        }

        void kick() {
            write(VIRTIO_MMIO_QUEUE_NOTIFY, index);
        }

        /** Used elements since the last call; their descriptors go back to the free list. */
        List<Used> reap() {
            List<Used> out = new ArrayList<>();
            int usedIdx = usedIdx();
            while (lastUsed != usedIdx) {
                long at = used + 4 + 8L * (lastUsed % size);
                int id = seg(at, 4).get(Virtqueue.U32, 0);
                int len = seg(at + 4, 4).get(Virtqueue.U32, 0);
                List<Integer> ids = chains.remove(id);
                if (ids == null) {
                    throw new AssertionError("queue " + index + ": device returned head " + id + " not in flight");
                }
                free.addAll(ids);
                out.add(new Used(id, len));
                lastUsed = (lastUsed + 1) & 0xffff;
            }
            return out;
        }

        int usedIdx() {
            return Short.toUnsignedInt(seg(used + 2, 2).get(Virtqueue.U16, 0));
        }

        int availIdx() {
            return availIdx;
        }

        void setAvailIdx(int idx) {
            availIdx = idx & 0xffff;
            seg(avail + 2, 2).set(Virtqueue.U16, 0, (short) idx);
        }

        void availFlags(int flags) {
            seg(avail, 2).set(Virtqueue.U16, 0, (short) flags);
        }

        void usedEvent(int value) {
            seg(avail + 4 + 2L * size, 2).set(Virtqueue.U16, 0, (short) value);
        }

        int availEvent() {
            return Short.toUnsignedInt(seg(used + 4 + 8L * size, 2).get(Virtqueue.U16, 0));
        }

        void writeDesc(int i, long addr, long len, int flags, int next) {
            writeDescAt(desc, i, addr, len, flags, next);
        }

        TestDriver d() {
            return TestDriver.this;
        }

        /** Claims the free descriptor {@code i} for raw use (malicious tests). */
        void claim(int i) {
            free.remove(i);
            chains.put(i, List.of(i));
        }
    }

    void writeDescAt(long table, int i, long addr, long len, int flags, int next) {
        MemorySegment d = seg(table + 16L * i, 16);
        d.set(Virtqueue.U64, 0, addr);
        d.set(Virtqueue.U32, 8, (int) len);
        d.set(Virtqueue.U16, 12, (short) flags);
        d.set(Virtqueue.U16, 14, (short) next);
    }

    MemorySegment seg(long gpa, long len) {
        return memory.segment(gpa, len);
    }

    byte[] bytes(long gpa, int len) {
        return memory.readBytes(gpa, len);
    }

    void put(long gpa, byte[] data) {
        memory.writeBytes(gpa, data);
    }
}
