package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_AVAIL_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_AVAIL_LOW;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_DESC_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_DESC_LOW;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_NUM;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_USED_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_USED_LOW;

import dev.jktstr.machine.GuestMemory;

/**
 * Queue configuration (virtio 1.2 §4.2.3.2): QueueSel, what the driver writes for each queue (size,
 * ring addresses) and the {@link Virtqueue} made from it when the driver sets QueueReady.
 *
 * <p>Not thread-safe: {@link MmioRegisterFile} calls it under its register monitor, and holds the
 * processing lock too around every change of a queue's readiness; the worker reads {@link #queue}
 * under the processing lock only, so it never sees a queue being replaced.
 */
final class QueueConfig {

    /** What the driver wrote for one queue; becomes a {@link Virtqueue} when it sets QueueReady. */
    private static final class QueueRegisters {
        long num;
        long desc;
        long driver;
        long device;
        boolean ready;
    }

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final QueueRegisters[] registers;
    private final Virtqueue[] queues;
    private int queueSel;

    QueueConfig(VirtioDevice device, GuestMemory memory) {
        this.device = device;
        this.memory = memory;
        int count = device.queueCount();
        this.registers = new QueueRegisters[count];
        this.queues = new Virtqueue[count];
        reset();
    }

    void select(int sel) {
        queueSel = sel;
    }

    /** QueueNumMax of the selected queue; 0 for a queue the device does not have. */
    int selectedMaxSize() {
        return selected() == null ? 0 : device.queueMaxSize(queueSel);
    }

    boolean selectedReady() {
        QueueRegisters q = selected();
        return q != null && q.ready;
    }

    /** QueueNum and the ring address halves; ignored for a missing queue or one that is ready. */
    void write(int offset, long unsigned) {
        QueueRegisters q = selected();
        if (q == null || q.ready) {
            return;
        }
        switch (offset) {
            case VIRTIO_MMIO_QUEUE_NUM -> q.num = unsigned;
            case VIRTIO_MMIO_QUEUE_DESC_LOW -> q.desc = low(q.desc, unsigned);
            case VIRTIO_MMIO_QUEUE_DESC_HIGH -> q.desc = high(q.desc, unsigned);
            case VIRTIO_MMIO_QUEUE_AVAIL_LOW -> q.driver = low(q.driver, unsigned);
            case VIRTIO_MMIO_QUEUE_AVAIL_HIGH -> q.driver = high(q.driver, unsigned);
            case VIRTIO_MMIO_QUEUE_USED_LOW -> q.device = low(q.device, unsigned);
            case VIRTIO_MMIO_QUEUE_USED_HIGH -> q.device = high(q.device, unsigned);
            default -> throw new IllegalArgumentException("not a queue register: 0x" + Integer.toHexString(offset));
        }
    }

    private static long low(long old, long value) {
        return (old & 0xffffffff00000000L) | value;
    }

    private static long high(long old, long value) {
        return (old & 0xffffffffL) | (value << 32);
    }

    /**
     * QueueReady for the selected queue: 0 drops the queue, 1 validates the setup and makes the
     * virtqueue. Throws {@link GuestViolation} for an invalid setup; the queue then stays not ready.
     * Returns false, changing nothing, when the device has no queue by the selected number.
     */
    boolean writeReady(int value, long driverFeatures) {
        QueueRegisters q = selected();
        if (q == null) {
            return false;
        }
        if (value == 0) {
            q.ready = false;
            queues[queueSel] = null;
        } else if (!q.ready) {
            queues[queueSel] = Virtqueue.create(queueSel, q.num, device.queueMaxSize(queueSel), q.desc, q.driver,
                    q.device, memory, driverFeatures);
            q.ready = true;
        }
        return true;
    }

    /** The queue, or null while the driver has not made it ready (or the device has no such queue). */
    Virtqueue queue(int index) {
        return index >= 0 && index < queues.length ? queues[index] : null;
    }

    /** Whether any queue wants a used-buffer interrupt; asks every queue, so each one's decision is taken. */
    boolean takeNotifications() {
        boolean notify = false;
        for (Virtqueue q : queues) {
            if (q != null && q.takeNotification()) {
                notify = true;
            }
        }
        return notify;
    }

    /** Forgets every queue: sizes back to their maximum, addresses 0, none ready, queue 0 selected. */
    void reset() {
        queueSel = 0;
        for (int i = 0; i < registers.length; i++) {
            QueueRegisters q = new QueueRegisters();
            q.num = device.queueMaxSize(i);
            registers[i] = q;
            queues[i] = null;
        }
    }

    private QueueRegisters selected() {
        return queueSel >= 0 && queueSel < registers.length ? registers[queueSel] : null;
    }
}
