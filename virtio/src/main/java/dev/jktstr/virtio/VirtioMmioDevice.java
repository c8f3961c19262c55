package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_QUEUE_NOTIFY;

import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.LogLimit;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2): the register window a VMM maps at some
 * guest-physical base, and the worker thread that processes the queues. It wires together the
 * register state machine ({@link MmioRegisterFile}, with {@link FeatureNegotiation} and
 * {@link QueueConfig}), the {@link DeviceWorker} and the {@link ProcessingLock} between them.
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
    /** Offset of InterruptACK, which a VMM serving reads from a {@linkplain #mirrorReadsInto mirror} may swallow. */
    public static final long INTERRUPT_ACK_OFFSET = dev.jktstr.bindings.virtio.VirtioH.VIRTIO_MMIO_INTERRUPT_ACK;

    /** Failures logged per device before they are only counted. */
    static final int LOGGED_FAILURES = 10;

    private final String name;
    private final VirtioDevice device;
    /** Lives as long as the device, across resets. */
    private final LogLimit failureLog;
    private final MmioRegisterFile registers;
    private final DeviceWorker worker;

    public VirtioMmioDevice(String name, VirtioDevice device, GuestMemory memory, Interrupt interrupt,
            Doorbell doorbell) {
        this.name = Objects.requireNonNull(name, "name");
        // One logger per device (a child of this class's), so a VMM can quiet one noisy guest's device.
        Logger log = LoggerFactory.getLogger(VirtioMmioDevice.class.getName() + "." + name);
        this.failureLog = new LogLimit("virtio-" + name + ": device failures", LOGGED_FAILURES, log::warn);
        this.device = Objects.requireNonNull(device, "device");
        DeviceEngine engine = switch (device) {
            case VirtioConsole console -> console.engine();
            case VirtioBlock block -> block.engine();
        };
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(interrupt, "interrupt");
        Objects.requireNonNull(doorbell, "doorbell");
        ProcessingLock processing = new ProcessingLock();
        this.registers = new MmioRegisterFile(name, device, engine, memory, interrupt, doorbell, processing,
                failureLog);
        this.worker = new DeviceWorker(name, log, registers, engine, doorbell, processing);
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
        return registers.status();
    }

    public boolean failed() {
        return registers.failed();
    }

    /** Why the device needs a reset, e.g. "queue 1: descriptor chain longer than the queue size (loop?)". */
    public Optional<String> failure() {
        return registers.failure();
    }

    /** A {@code size}-byte read at {@code offset} of the window (low bytes used). */
    public long read(long offset, int size) {
        return registers.read(offset, size);
    }

    /**
     * A {@code size}-byte write of {@code value} at {@code offset}. A QueueNotify write only rings
     * the doorbell; queues are processed by the worker, never on the calling vCPU thread.
     */
    public void write(long offset, int size, long value) {
        registers.write(offset, size, value);
    }

    /**
     * Keeps {@code page} (at least {@link #WINDOW_SIZE} bytes) holding what a read of every register and of the
     * configuration space would return, from now on: after each write, interrupt and failure, before the call that
     * caused it returns. A VMM maps the page read-only at the window's address, so the guest's reads never leave it
     * (only its writes do) — on virtio-mmio every interrupt costs the driver an InterruptStatus read. A VMM that also
     * swallows InterruptACK writes (an ioeventfd nobody reads) gets a status whose bits stay set until the next
     * reset: Linux's handler then looks at every queue on every interrupt, which costs less than the exit.
     */
    public void mirrorReadsInto(java.lang.foreign.MemorySegment page) {
        registers.mirrorReadsInto(page);
    }

    /** Starts the worker, a platform daemon thread named "virtio-&lt;name&gt;". */
    public void start() {
        worker.start();
    }

    /** Processes every ready queue once on the calling thread (tests and fuzzing; not after {@link #start}). */
    public void processNow() {
        worker.processNow();
    }

    /**
     * Whether the worker thread still runs: after {@link #close()} only if it did not stop within the
     * bounded wait, in which case the VMM must not unmap guest RAM under it.
     */
    public boolean workerAlive() {
        return worker.alive();
    }

    /**
     * Stops and joins the worker (bounded wait), unblocks every host stream and closes the device.
     * Idempotent.
     */
    @Override
    public void close() {
        if (!worker.stop()) {
            return;
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
