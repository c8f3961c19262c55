package dev.jktstr.virtio;

import java.util.concurrent.Semaphore;

/**
 * How a device's worker waits for work. The kvm layer backs it with the eventfd it registers as
 * ioeventfd on QueueNotify; host threads ring it too (console bytes to deliver, buffer space freed).
 */
public interface Doorbell {

    /** Blocks until rung; returns at once if rung since the last return. */
    void await() throws InterruptedException;

    /** Wakes the waiter (from any thread; never blocks). */
    void ring();

    /** A Doorbell on a semaphore: for tests and for hosts without ioeventfd. */
    static Doorbell inMemory() {
        return new Doorbell() {
            private final Semaphore rung = new Semaphore(0);

            @Override
            public void await() throws InterruptedException {
                rung.acquire();
                rung.drainPermits();
            }

            @Override
            public void ring() {
                // Several rings before the next await collapse into one wake-up; a race that leaves two
                // permits only costs one spurious pass.
                if (rung.availablePermits() == 0) {
                    rung.release();
                }
            }

            @Override
            public String toString() {
                return "Doorbell.inMemory";
            }
        };
    }
}
