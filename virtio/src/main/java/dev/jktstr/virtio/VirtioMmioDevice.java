package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONFIG_S_DRIVER_OK;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONFIG_S_FEATURES_OK;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONFIG_S_NEEDS_RESET;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_F_VERSION_1;
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
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_RING_F_EVENT_IDX;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_RING_F_INDIRECT_DESC;

import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.GuestMemoryException;
import dev.jktstr.machine.LogLimit;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2): the register window a VMM maps at some
 * guest-physical base, feature negotiation, queue setup, device status, interrupt status, and the
 * worker thread that processes the queues.
 *
 * <p>Threading: vCPU threads call {@link #read} and {@link #write} (several at once); they only ever
 * touch registers and ring the doorbell, never process queues. The worker ({@link #start}) waits on
 * the doorbell and processes. Status writes and QueueReady take the processing lock, asking the
 * worker to yield between chains, so a reset waits at most for one request in flight and the
 * worker never touches a queue the driver has reset.
 *
 * <p>A guest that breaks the virtio contract puts the device into the failed state: status gets
 * DEVICE_NEEDS_RESET, a configuration-change interrupt is raised, processing stops, and the reason
 * is kept in {@link #failure()}. Writing status 0 resets the device. Failures are logged through a
 * {@link LogLimit} that a reset does not clear: a guest looping fail → reset costs the log
 * {@link #LOGGED_FAILURES} lines and a count at close, not a line per cycle.
 */
public final class VirtioMmioDevice implements AutoCloseable {

    /** Size of the register window (registers and configuration space). */
    public static final long WINDOW_SIZE = 0x200;
    /** Offset of QueueNotify, where a VMM registers its ioeventfd. */
    public static final long QUEUE_NOTIFY_OFFSET = VIRTIO_MMIO_QUEUE_NOTIFY;

    /** "virt" read as a little-endian 32-bit value. */
    static final int MAGIC = 0x74726976;
    static final int VERSION = 2;
    /** "JKTS". */
    static final int VENDOR_ID = 0x4A4B5453;
    /** Ring and transport features every device offers. */
    static final long TRANSPORT_FEATURES = (1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_RING_F_INDIRECT_DESC)
            | (1L << VIRTIO_RING_F_EVENT_IDX);
    /** Failures logged per device before they are only counted. */
    static final int LOGGED_FAILURES = 10;
    /** How long close() waits for the worker before giving up on it (it is a daemon). */
    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    /** One logger per device (a child of this class's), so a VMM can quiet one noisy guest's device. */
    private final Logger log;
    /** Lives as long as the device, across resets. */
    private final LogLimit failureLog;
    private final VirtioDevice device;
    private final MemorySegment configSpace;
    private final DeviceEngine engine;
    private final GuestMemory memory;
    private final Interrupt interrupt;
    private final Doorbell doorbell;
    private final long offeredFeatures;

    /** Guards the register state below; held briefly, never while processing a queue. */
    private final Object registers = new Object();
    private int status;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private long driverFeatures;
    /** The driver wrote feature bits beyond the 64 this transport knows: FEATURES_OK is refused. */
    private boolean driverFeaturesBeyond64;
    private int queueSel;
    private int interruptStatus;
    private int configGeneration;
    private int shmSel;
    private final QueueRegisters[] queueRegisters;
    private final Virtqueue[] queues;
    private boolean failed;
    private String failure;

    /** Held while the device processes, and by status / QueueReady writes that change queue state. */
    private final ReentrantLock processing = new ReentrantLock(true); // fair: a waiting reset is not overtaken by the next pass
    private final AtomicInteger yieldRequests = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread worker;

    private final DeviceEngine.Queues queueView = new DeviceEngine.Queues() {
        @Override
        public Virtqueue queue(int index) {
            return index >= 0 && index < queues.length ? queues[index] : null;
        }

        @Override
        public boolean yieldRequested() {
            return yieldRequests.get() > 0 || closed.get();
        }
    };

    /** What the driver wrote for one queue; becomes a {@link Virtqueue} when it sets QueueReady. */
    private static final class QueueRegisters {
        long num;
        long desc;
        long driver;
        long device;
        boolean ready;
    }

    public VirtioMmioDevice(String name, VirtioDevice device, GuestMemory memory, Interrupt interrupt,
            Doorbell doorbell) {
        this.name = Objects.requireNonNull(name, "name");
        this.log = LoggerFactory.getLogger(VirtioMmioDevice.class.getName() + "." + name);
        this.failureLog = new LogLimit("virtio-" + name + ": device failures", LOGGED_FAILURES, log::warn);
        this.device = Objects.requireNonNull(device, "device");
        this.configSpace = device.configSpace();
        this.engine = switch (device) {
            case VirtioConsole console -> console.engine();
            case VirtioBlock block -> block.engine();
        };
        this.memory = Objects.requireNonNull(memory, "memory");
        this.interrupt = Objects.requireNonNull(interrupt, "interrupt");
        this.doorbell = Objects.requireNonNull(doorbell, "doorbell");
        this.offeredFeatures = device.deviceFeatures() | TRANSPORT_FEATURES;
        int count = device.queueCount();
        this.queueRegisters = new QueueRegisters[count];
        this.queues = new Virtqueue[count];
        resetQueueRegisters();
        engine.attach(doorbell::ring);
    }

    /** The kernel command-line argument that makes Linux probe a device at {@code base} with {@code irq}. */
    public static String kernelCommandLineArg(long base, int irq) {
        return String.format("virtio_mmio.device=4K@0x%x:%d", base, irq);
    }

    public String name() {
        return name;
    }

    public VirtioDevice device() {
        return device;
    }

    /** The device status register. */
    public int status() {
        synchronized (registers) {
            return status;
        }
    }

    public boolean failed() {
        synchronized (registers) {
            return failed;
        }
    }

    /** Why the device needs a reset, e.g. "queue 1: descriptor chain longer than the queue size (loop?)". */
    public Optional<String> failure() {
        synchronized (registers) {
            return Optional.ofNullable(failure);
        }
    }

    // ---------------------------------------------------------------- registers (vCPU threads)

    /** A {@code size}-byte read at {@code offset} of the window (low bytes used). */
    public long read(long offset, int size) {
        if (offset < 0 || offset >= WINDOW_SIZE) {
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
        QueueRegisters q = selectedQueue();
        return switch (offset) {
            case VIRTIO_MMIO_MAGIC_VALUE -> MAGIC;
            case VIRTIO_MMIO_VERSION -> VERSION;
            case VIRTIO_MMIO_DEVICE_ID -> device.deviceId();
            case VIRTIO_MMIO_VENDOR_ID -> VENDOR_ID;
            case VIRTIO_MMIO_DEVICE_FEATURES -> switch (deviceFeaturesSel) {
                case 0 -> (int) offeredFeatures;
                case 1 -> (int) (offeredFeatures >>> 32);
                default -> 0;
            };
            case VIRTIO_MMIO_QUEUE_NUM_MAX -> q == null ? 0 : device.queueMaxSize(queueSel);
            case VIRTIO_MMIO_QUEUE_READY -> q != null && q.ready ? 1 : 0;
            case VIRTIO_MMIO_INTERRUPT_STATUS -> interruptStatus;
            case VIRTIO_MMIO_STATUS -> status;
            // No shared memory regions: a length of -1 says "this region does not exist".
            case VIRTIO_MMIO_SHM_LEN_LOW, VIRTIO_MMIO_SHM_LEN_HIGH, VIRTIO_MMIO_SHM_BASE_LOW,
                    VIRTIO_MMIO_SHM_BASE_HIGH -> -1;
            case VIRTIO_MMIO_CONFIG_GENERATION -> configGeneration;
            default -> 0;
        };
    }

    /**
     * A {@code size}-byte write of {@code value} at {@code offset}. A QueueNotify write only rings
     * the doorbell; queues are processed by the worker, never on the calling vCPU thread.
     */
    public void write(long offset, int size, long value) {
        if (offset < 0 || offset >= WINDOW_SIZE) {
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
                }
            }
        }
    }

    private void writeRegister(int offset, int v) {
        QueueRegisters q = selectedQueue();
        boolean queueWritable = q != null && !q.ready;
        long unsigned = Integer.toUnsignedLong(v);
        switch (offset) {
            case VIRTIO_MMIO_DEVICE_FEATURES_SEL -> deviceFeaturesSel = v;
            case VIRTIO_MMIO_DRIVER_FEATURES_SEL -> driverFeaturesSel = v;
            case VIRTIO_MMIO_DRIVER_FEATURES -> {
                if ((status & VIRTIO_CONFIG_S_FEATURES_OK) != 0) {
                    return; // features are fixed once accepted
                }
                switch (driverFeaturesSel) {
                    case 0 -> driverFeatures = (driverFeatures & 0xffffffff00000000L) | unsigned;
                    case 1 -> driverFeatures = (driverFeatures & 0xffffffffL) | (unsigned << 32);
                    default -> driverFeaturesBeyond64 |= v != 0;
                }
            }
            case VIRTIO_MMIO_QUEUE_SEL -> queueSel = v;
            case VIRTIO_MMIO_QUEUE_NUM -> {
                if (queueWritable) {
                    q.num = unsigned;
                }
            }
            case VIRTIO_MMIO_QUEUE_DESC_LOW -> {
                if (queueWritable) {
                    q.desc = low(q.desc, unsigned);
                }
            }
            case VIRTIO_MMIO_QUEUE_DESC_HIGH -> {
                if (queueWritable) {
                    q.desc = high(q.desc, unsigned);
                }
            }
            case VIRTIO_MMIO_QUEUE_AVAIL_LOW -> {
                if (queueWritable) {
                    q.driver = low(q.driver, unsigned);
                }
            }
            case VIRTIO_MMIO_QUEUE_AVAIL_HIGH -> {
                if (queueWritable) {
                    q.driver = high(q.driver, unsigned);
                }
            }
            case VIRTIO_MMIO_QUEUE_USED_LOW -> {
                if (queueWritable) {
                    q.device = low(q.device, unsigned);
                }
            }
            case VIRTIO_MMIO_QUEUE_USED_HIGH -> {
                if (queueWritable) {
                    q.device = high(q.device, unsigned);
                }
            }
            case VIRTIO_MMIO_INTERRUPT_ACK -> interruptStatus &= ~v;
            case VIRTIO_MMIO_SHM_SEL -> shmSel = v;
            default -> {
                // read-only or unknown register: ignored
            }
        }
    }

    private static long low(long old, long value) {
        return (old & 0xffffffff00000000L) | value;
    }

    private static long high(long old, long value) {
        return (old & 0xffffffffL) | (value << 32);
    }

    private QueueRegisters selectedQueue() {
        return queueSel >= 0 && queueSel < queueRegisters.length ? queueRegisters[queueSel] : null;
    }

    private void writeStatus(int value) {
        lockProcessing();
        boolean activate = false;
        long features;
        try {
            synchronized (registers) {
                if (value == 0) {
                    resetLocked();
                } else {
                    int old = status;
                    int set = value & ~old;
                    if ((set & VIRTIO_CONFIG_S_FEATURES_OK) != 0 && !featuresAcceptable()) {
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
                features = driverFeatures;
            }
            if (value == 0) {
                engine.reset();
            } else if (activate) {
                engine.activate(features);
            }
        } finally {
            unlockProcessing();
        }
        doorbell.ring(); // pending work (host bytes, buffers made available before DRIVER_OK)
    }

    private boolean featuresAcceptable() {
        return !driverFeaturesBeyond64 && (driverFeatures & ~offeredFeatures) == 0
                && (driverFeatures & (1L << VIRTIO_F_VERSION_1)) != 0;
    }

    private void resetLocked() {
        status = 0;
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        driverFeatures = 0;
        driverFeaturesBeyond64 = false;
        queueSel = 0;
        interruptStatus = 0;
        shmSel = 0;
        failed = false;
        failure = null;
        resetQueueRegisters();
    }

    private void resetQueueRegisters() {
        for (int i = 0; i < queueRegisters.length; i++) {
            QueueRegisters q = new QueueRegisters();
            q.num = device.queueMaxSize(i);
            queueRegisters[i] = q;
            queues[i] = null;
        }
    }

    private void writeQueueReady(int value) {
        String violation = null;
        lockProcessing();
        try {
            synchronized (registers) {
                QueueRegisters q = selectedQueue();
                if (q == null) {
                    return;
                }
                if (value == 0) {
                    q.ready = false;
                    queues[queueSel] = null;
                } else if (!q.ready) {
                    try {
                        queues[queueSel] = Virtqueue.create(queueSel, q.num, device.queueMaxSize(queueSel), q.desc,
                                q.driver, q.device, memory, driverFeatures);
                        q.ready = true;
                    } catch (GuestViolation e) {
                        violation = e.getMessage();
                    }
                }
            }
            if (violation != null) {
                fail(violation);
            }
        } finally {
            unlockProcessing();
        }
        doorbell.ring();
    }

    private void lockProcessing() {
        yieldRequests.incrementAndGet();
        processing.lock();
    }

    private void unlockProcessing() {
        processing.unlock();
        yieldRequests.decrementAndGet();
    }

    // ---------------------------------------------------------------- processing (worker)

    /** Starts the worker, a platform daemon thread named "virtio-&lt;name&gt;". */
    public void start() {
        synchronized (registers) {
            if (closed.get()) {
                throw new VirtioException("virtio device " + name + " is closed");
            }
            if (worker != null) {
                throw new VirtioException("virtio device " + name + " is already started");
            }
            worker = Thread.ofPlatform().daemon().name("virtio-" + name).start(this::runWorker);
        }
    }

    /** Processes every ready queue once on the calling thread (tests and fuzzing; not after {@link #start}). */
    public void processNow() {
        if (worker != null) {
            throw new VirtioException("virtio device " + name + " has a worker thread; processNow is for unstarted"
                    + " devices");
        }
        if (!closed.get()) {
            pass();
        }
    }

    private void runWorker() {
        try {
            while (!closed.get()) {
                long deferNanos = pass();
                if (closed.get()) {
                    break;
                }
                if (deferNanos > 0) {
                    // A throttle holds the next request back; kicks meanwhile are latched by the doorbell.
                    Thread.sleep(Duration.ofNanos(Math.min(deferNanos, 100_000_000L)));
                } else {
                    doorbell.await();
                }
            }
        } catch (InterruptedException e) {
            // close() interrupts us
        } catch (RuntimeException | Error e) {
            log.error("virtio-{}: worker died", name, e);
        }
    }

    /** One processing pass; returns the engine's request to be called again after that many nanoseconds. */
    private long pass() {
        processing.lock();
        try {
            synchronized (registers) {
                if ((status & VIRTIO_CONFIG_S_DRIVER_OK) == 0 || failed || closed.get()) {
                    return 0;
                }
            }
            long defer = 0;
            try {
                defer = engine.process(queueView);
            } catch (GuestViolation e) {
                fail(e.getMessage());
            } catch (GuestMemoryException e) {
                fail("guest memory access: " + e.getMessage());
            } catch (RuntimeException e) {
                log.error("virtio-{}: internal error while processing", name, e);
                fail("internal error: " + e);
            }
            signalUsed();
            return defer;
        } finally {
            processing.unlock();
        }
    }

    private void signalUsed() {
        boolean notify = false;
        for (Virtqueue q : queues) {
            if (q != null && q.takeNotification()) {
                notify = true;
            }
        }
        if (notify) {
            synchronized (registers) {
                interruptStatus |= VIRTIO_MMIO_INT_VRING;
            }
            interrupt.raise();
        }
    }

    /** Enters the failed state (once until the next reset) and tells the driver. */
    private void fail(String reason) {
        synchronized (registers) {
            if (failed) {
                return;
            }
            failed = true;
            failure = reason;
            status |= VIRTIO_CONFIG_S_NEEDS_RESET;
            interruptStatus |= VIRTIO_MMIO_INT_CONFIG;
        }
        failureLog.log(() -> "virtio-" + name + ": device needs reset: " + reason);
        engine.failed(reason);
        interrupt.raise();
    }

    /**
     * Whether the worker thread still runs: after {@link #close()} only if it did not stop within the
     * bounded wait, in which case the VMM must not unmap guest RAM under it.
     */
    public boolean workerAlive() {
        Thread w = worker;
        return w != null && w.isAlive();
    }

    /**
     * Stops and joins the worker (bounded wait), unblocks every host stream and closes the device.
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Thread w = worker;
        doorbell.ring();
        if (w != null && w != Thread.currentThread()) {
            w.interrupt();
            try {
                if (!w.join(JOIN_TIMEOUT)) {
                    log.warn("virtio-{}: worker did not stop within {}", name, JOIN_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        device.close();
        failureLog.summarize();
    }

    /** Failures so far, over the device's life (resets do not clear it); each was logged or counted. */
    long failureCount() {
        return failureLog.seen();
    }

    @Override
    public String toString() {
        return "virtio-mmio " + name + " (" + device + ")";
    }
}
