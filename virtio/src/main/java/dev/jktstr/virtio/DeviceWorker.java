package dev.jktstr.virtio;

import dev.jktstr.machine.GuestMemoryException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * The thread that processes a device's queues, and the processing pass itself: the register file
 * stays a state machine over reads and writes, and this class is what runs the device between them.
 *
 * <p>The worker ({@link #start}, a platform daemon thread "virtio-&lt;name&gt;") loops: wait for the
 * doorbell, then one pass under the {@link ProcessingLock}. A pass asks the engine to process, turns
 * a guest's violation into the failed state, and raises the used-buffer interrupt. A throttled engine
 * returns how long to wait, and the worker sleeps that long (never a vCPU). Without a worker,
 * {@link #processNow} runs one pass on the caller's thread (tests, fuzzing).
 */
final class DeviceWorker {

    /** How long {@link #stop} waits for the worker before giving up on it (it is a daemon). */
    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
    /** The longest a throttle's wait is slept in one go, so a close is noticed soon. */
    private static final long MAX_DEFER_NANOS = 100_000_000L;

    private final String name;
    private final Logger log;
    private final MmioRegisterFile registers;
    private final DeviceEngine engine;
    private final Doorbell doorbell;
    private final ProcessingLock processing;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread thread;

    private final DeviceEngine.Queues queueView = new DeviceEngine.Queues() {
        @Override
        public Virtqueue queue(int index) {
            return registers.queue(index);
        }

        @Override
        public boolean yieldRequested() {
            return processing.yieldRequested() || closed.get();
        }
    };

    DeviceWorker(String name, Logger log, MmioRegisterFile registers, DeviceEngine engine, Doorbell doorbell,
            ProcessingLock processing) {
        this.name = name;
        this.log = log;
        this.registers = registers;
        this.engine = engine;
        this.doorbell = doorbell;
        this.processing = processing;
    }

    synchronized void start() {
        if (closed.get()) {
            throw new VirtioException("virtio device " + name + " is closed");
        }
        if (thread != null) {
            throw new VirtioException("virtio device " + name + " is already started");
        }
        thread = Thread.ofPlatform().daemon().name("virtio-" + name).start(this::run);
    }

    void processNow() {
        if (thread != null) {
            throw new VirtioException("virtio device " + name + " has a worker thread; processNow is for unstarted"
                    + " devices");
        }
        if (!closed.get()) {
            pass();
        }
    }

    private void run() {
        try {
            while (!closed.get()) {
                long deferNanos = pass();
                if (closed.get()) {
                    break;
                }
                if (deferNanos > 0) {
                    // A throttle holds the next request back; kicks meanwhile are latched by the doorbell.
                    Thread.sleep(Duration.ofNanos(Math.min(deferNanos, MAX_DEFER_NANOS)));
                } else {
                    doorbell.await();
                }
            }
        } catch (InterruptedException e) {
            // stop() interrupts us
        } catch (RuntimeException | Error e) {
            log.error("virtio-{}: worker died", name, e);
        }
    }

    /** One processing pass; returns the engine's request to be called again after that many nanoseconds. */
    private long pass() {
        processing.lockForPass();
        try {
            if (!registers.processingAllowed() || closed.get()) {
                return 0;
            }
            long defer = 0;
            try {
                defer = engine.process(queueView);
            } catch (GuestViolation e) {
                registers.fail(e.getMessage());
            } catch (GuestMemoryException e) {
                registers.fail("guest memory access: " + e.getMessage());
            } catch (RuntimeException e) {
                log.error("virtio-{}: internal error while processing", name, e);
                registers.fail("internal error: " + e);
            }
            registers.signalUsed();
            return defer;
        } finally {
            processing.unlockForPass();
        }
    }

    /** Whether the thread still runs (after {@link #stop} only if it outlived the bounded wait). */
    boolean alive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** Stops the worker and joins it (bounded wait). Returns false if it was already stopped. */
    boolean stop() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        Thread t = thread;
        doorbell.ring();
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            try {
                if (!t.join(JOIN_TIMEOUT)) {
                    log.warn("virtio-{}: worker did not stop within {}", name, JOIN_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return true;
    }
}
