package dev.jktstr.virtio;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Held while the worker processes, and by the register writes that change queue state (status,
 * QueueReady). Such a write first asks the worker to yield between chains, so it waits for at most
 * the one request in flight. Fair: a waiting reset is not overtaken by the next pass.
 */
final class ProcessingLock {

    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicInteger yieldRequests = new AtomicInteger();

    /** For a register write: asks the worker to yield, then waits for it. */
    void lockForChange() {
        yieldRequests.incrementAndGet();
        lock.lock();
    }

    void unlockForChange() {
        lock.unlock();
        yieldRequests.decrementAndGet();
    }

    /** For a processing pass. */
    void lockForPass() {
        lock.lock();
    }

    void unlockForPass() {
        lock.unlock();
    }

    /** Someone waits to change queue state: the worker should return between chains. */
    boolean yieldRequested() {
        return yieldRequests.get() > 0;
    }
}
