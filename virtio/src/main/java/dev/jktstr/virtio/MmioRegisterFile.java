package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONFIG_S_DRIVER_OK;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONFIG_S_FEATURES_OK;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONFIG_S_NEEDS_RESET;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_CONFIG;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_CONFIG_GENERATION;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_DEVICE_FEATURES;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_DEVICE_FEATURES_SEL;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_DEVICE_ID;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_DRIVER_FEATURES;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_DRIVER_FEATURES_SEL;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_INTERRUPT_ACK;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_INTERRUPT_STATUS;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_INT_CONFIG;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_INT_VRING;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_MAGIC_VALUE;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_AVAIL_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_AVAIL_LOW;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_DESC_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_DESC_LOW;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_NOTIFY;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_NUM;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_NUM_MAX;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_READY;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_SEL;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_USED_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_USED_LOW;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_SHM_BASE_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_SHM_BASE_LOW;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_SHM_LEN_HIGH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_SHM_LEN_LOW;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_SHM_SEL;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_STATUS;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_VENDOR_ID;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_VERSION;

import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.LogLimit;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The virtio-mmio register window as a state machine over reads and writes (virtio 1.2 §4.2.2):
 * identification, device status, interrupt status, configuration space, and the failed state. Feature
 * bits are {@link FeatureNegotiation}'s, queue registers {@link QueueConfig}'s; this class holds the
 * register monitor around both.
 *
 * <p>Called by vCPU threads (several at once) and, for {@link #fail} and {@link #signalUsed}, by the
 * worker. Register state sits behind one monitor held briefly. Status and QueueReady writes take the
 * {@link ProcessingLock} first, so the device is reset or activated, and queues appear or vanish,
 * only between processing passes.
 *
 * <p>Failures are logged through a {@link LogLimit} that a reset does not clear: a guest looping
 * fail → reset costs the log a bounded number of lines and a count at close, not a line per cycle.
 */
final class MmioRegisterFile {

    /** "virt" read as a little-endian 32-bit value. */
    static final int MAGIC = 0x74726976;
    static final int VERSION = 2;
    /** "JKTS". */
    static final int VENDOR_ID = 0x4A4B5453;

    private final String name;
    private final VirtioDevice device;
    private final MemorySegment configSpace;
    private final DeviceEngine engine;
    private final Interrupt interrupt;
    private final Doorbell doorbell;
    private final ProcessingLock processing;
    /** Lives as long as the device, across resets. */
    private final LogLimit failureLog;

    /** Guards the register state below; held briefly, never while processing a queue. */
    private final Object registers = new Object();
    private final FeatureNegotiation features;
    private final QueueConfig queues;
    private int status;
    private int interruptStatus;
    private int configGeneration;
    private int shmSel;
    private boolean failed;
    private String failure;
    /** Where reads are served from without an exit, or null: see {@link VirtioMmioDevice#mirrorReadsInto}. */
    private MemorySegment mirror;

    MmioRegisterFile(String name, VirtioDevice device, DeviceEngine engine, GuestMemory memory, Interrupt interrupt,
            Doorbell doorbell, ProcessingLock processing, LogLimit failureLog) {
        this.name = name;
        this.device = device;
        this.configSpace = device.configSpace();
        this.engine = engine;
        this.interrupt = interrupt;
        this.doorbell = doorbell;
        this.processing = processing;
        this.failureLog = failureLog;
        this.features = new FeatureNegotiation(device.deviceFeatures());
        this.queues = new QueueConfig(device, memory);
    }

    int status() {
        synchronized (registers) {
            return status;
        }
    }

    boolean failed() {
        synchronized (registers) {
            return failed;
        }
    }

    Optional<String> failure() {
        synchronized (registers) {
            return Optional.ofNullable(failure);
        }
    }

    /** The driver set DRIVER_OK and the device has not failed since: the worker may process. */
    boolean processingAllowed() {
        synchronized (registers) {
            return (status & VIRTIO_CONFIG_S_DRIVER_OK) != 0 && !failed;
        }
    }

    /** The queue, or null while not ready. Only under the processing lock (the worker's pass). */
    Virtqueue queue(int index) {
        return queues.queue(index);
    }

    // ---------------------------------------------------------------- the read mirror

    void mirrorReadsInto(MemorySegment page) {
        if (page.byteSize() < VirtioMmioDevice.WINDOW_SIZE) {
            throw new IllegalArgumentException("a register mirror needs " + VirtioMmioDevice.WINDOW_SIZE + " bytes, got "
                    + page.byteSize());
        }
        synchronized (registers) {
            mirror = page;
            renderLocked();
        }
    }

    /** Every register as a read returns it, then the configuration space (fixed at construction). */
    private void renderLocked() {
        if (mirror == null) {
            return;
        }
        for (int offset = 0; offset < VIRTIO_MMIO_CONFIG; offset += 4) {
            mirror.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, offset, readRegister(offset));
        }
        long config = Math.min(configSpace.byteSize(), VirtioMmioDevice.WINDOW_SIZE - VIRTIO_MMIO_CONFIG);
        MemorySegment.copy(configSpace, 0, mirror, VIRTIO_MMIO_CONFIG, config);
    }

    // ---------------------------------------------------------------- reads

    /** A {@code size}-byte read at {@code offset} of the window (low bytes used). */
    long read(long offset, int size) {
        if (offset < 0 || offset >= VirtioMmioDevice.WINDOW_SIZE) {
            return 0; // the rest of the page a VMM reserves for the device
        }
        if (offset >= VIRTIO_MMIO_CONFIG) {
            return ConfigSpace.read(configSpace, (int) (offset - VIRTIO_MMIO_CONFIG), size); // fixed at construction
        }
        if (size != 4 || offset % 4 != 0) {
            return 0; // the spec allows only aligned 32-bit register accesses
        }
        synchronized (registers) {
            return Integer.toUnsignedLong(readRegister((int) offset));
        }
    }

    private int readRegister(int offset) {
        return switch (offset) {
            case VIRTIO_MMIO_MAGIC_VALUE -> MAGIC;
            case VIRTIO_MMIO_VERSION -> VERSION;
            case VIRTIO_MMIO_DEVICE_ID -> device.deviceId();
            case VIRTIO_MMIO_VENDOR_ID -> VENDOR_ID;
            case VIRTIO_MMIO_DEVICE_FEATURES -> features.deviceFeaturesWord();
            case VIRTIO_MMIO_QUEUE_NUM_MAX -> queues.selectedMaxSize();
            case VIRTIO_MMIO_QUEUE_READY -> queues.selectedReady() ? 1 : 0;
            case VIRTIO_MMIO_INTERRUPT_STATUS -> interruptStatus;
            case VIRTIO_MMIO_STATUS -> status;
            // No shared memory regions: a length of -1 says "this region does not exist".
            case VIRTIO_MMIO_SHM_LEN_LOW, VIRTIO_MMIO_SHM_LEN_HIGH, VIRTIO_MMIO_SHM_BASE_LOW,
                    VIRTIO_MMIO_SHM_BASE_HIGH -> -1;
            case VIRTIO_MMIO_CONFIG_GENERATION -> configGeneration;
            default -> 0;
        };
    }

    // ---------------------------------------------------------------- writes

    /** A {@code size}-byte write of {@code value} at {@code offset}; QueueNotify only rings the doorbell. */
    void write(long offset, int size, long value) {
        if (offset < 0 || offset >= VirtioMmioDevice.WINDOW_SIZE) {
            return;
        }
        if (offset >= VIRTIO_MMIO_CONFIG) {
            return; // configuration space is read-only (VirtioDevice#configSpace)
        }
        if (size != 4 || offset % 4 != 0) {
            return;
        }
        int v = (int) value;
        switch ((int) offset) {
            case VIRTIO_MMIO_QUEUE_NOTIFY -> doorbell.ring();
            case VIRTIO_MMIO_STATUS -> writeStatus(v);
            case VIRTIO_MMIO_QUEUE_READY -> writeQueueReady(v);
            default -> {
                synchronized (registers) {
                    writeRegister((int) offset, v);
                    renderLocked();
                }
            }
        }
    }

    private void writeRegister(int offset, int v) {
        switch (offset) {
            case VIRTIO_MMIO_DEVICE_FEATURES_SEL -> features.selectDeviceFeatures(v);
            case VIRTIO_MMIO_DRIVER_FEATURES_SEL -> features.selectDriverFeatures(v);
            case VIRTIO_MMIO_DRIVER_FEATURES -> {
                if ((status & VIRTIO_CONFIG_S_FEATURES_OK) == 0) { // features are fixed once accepted
                    features.writeDriverFeaturesWord(v);
                }
            }
            case VIRTIO_MMIO_QUEUE_SEL -> queues.select(v);
            case VIRTIO_MMIO_QUEUE_NUM, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
                    VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, VIRTIO_MMIO_QUEUE_USED_LOW,
                    VIRTIO_MMIO_QUEUE_USED_HIGH -> queues.write(offset, Integer.toUnsignedLong(v));
            case VIRTIO_MMIO_INTERRUPT_ACK -> interruptStatus &= ~v;
            case VIRTIO_MMIO_SHM_SEL -> shmSel = v;
            default -> {
                // read-only or unknown register: ignored
            }
        }
    }

    private void writeStatus(int value) {
        processing.lockForChange();
        boolean activate = false;
        long negotiated;
        try {
            synchronized (registers) {
                if (value == 0) {
                    resetLocked();
                } else {
                    int old = status;
                    int set = value & ~old;
                    if ((set & VIRTIO_CONFIG_S_FEATURES_OK) != 0 && !features.acceptable()) {
                        set &= ~VIRTIO_CONFIG_S_FEATURES_OK; // the driver reads it back clear: refused
                    }
                    if ((set & VIRTIO_CONFIG_S_DRIVER_OK) != 0) {
                        if (((old | set) & VIRTIO_CONFIG_S_FEATURES_OK) == 0) {
                            set &= ~VIRTIO_CONFIG_S_DRIVER_OK;
                        } else {
                            activate = true;
                        }
                    }
                    // Bits are only ever set by the driver (clearing them takes a reset); NEEDS_RESET is ours.
                    status = old | (set & ~VIRTIO_CONFIG_S_NEEDS_RESET);
                }
                negotiated = features.driverFeatures();
                renderLocked();
            }
            if (value == 0) {
                engine.reset();
            } else if (activate) {
                engine.activate(negotiated);
            }
        } finally {
            processing.unlockForChange();
        }
        doorbell.ring(); // pending work (host bytes, buffers made available before DRIVER_OK)
    }

    private void resetLocked() {
        status = 0;
        features.reset();
        interruptStatus = 0;
        shmSel = 0;
        failed = false;
        failure = null;
        queues.reset();
    }

    private void writeQueueReady(int value) {
        String violation = null;
        processing.lockForChange();
        try {
            synchronized (registers) {
                try {
                    if (!queues.writeReady(value, features.driverFeatures())) {
                        return; // no such queue: nothing changed, nothing to wake the worker for
                    }
                } catch (GuestViolation e) {
                    violation = e.getMessage();
                }
                renderLocked();
            }
            if (violation != null) {
                fail(violation);
            }
        } finally {
            processing.unlockForChange();
        }
        doorbell.ring();
    }

    // ---------------------------------------------------------------- notifications (worker)

    /** After a pass: raises the used-buffer interrupt when any queue's suppression rules allow it. */
    void signalUsed() {
        if (queues.takeNotifications()) {
            synchronized (registers) {
                interruptStatus |= VIRTIO_MMIO_INT_VRING;
                renderLocked();
            }
            interrupt.raise();
        }
    }

    /** Enters the failed state (once until the next reset) and tells the driver. */
    void fail(String reason) {
        synchronized (registers) {
            if (failed) {
                return;
            }
            failed = true;
            failure = reason;
            status |= VIRTIO_CONFIG_S_NEEDS_RESET;
            interruptStatus |= VIRTIO_MMIO_INT_CONFIG;
            renderLocked();
        }
        failureLog.log(() -> "virtio-" + name + ": device needs reset: " + reason);
        engine.failed(reason);
        interrupt.raise();
    }
}
