package dev.jktstr.scenario.gauntlet;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Runs jobs on their own threads while their vCPUs and memory stay within a {@link Budget}, in the order given (the
 * head of the queue waits for room rather than be overtaken, so a wide VM is never starved by narrow ones).
 * {@link #cancel()} starts nothing more and interrupts the running jobs; {@link #runAll} returns only when none runs.
 */
public final class BudgetScheduler<J> {
    private final Budget budget;
    private final ToIntFunction<J> vcpus;
    private final ToLongFunction<J> memory;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Set<Thread> running = new HashSet<>();
    private long usedVcpus;
    private long usedMemory;
    private int peakVms;
    private long peakVcpus;
    private volatile boolean cancelled;
    private int started;

    public BudgetScheduler(Budget budget, ToIntFunction<J> vcpus, ToLongFunction<J> memory) {
        this.budget = budget;
        this.vcpus = vcpus;
        this.memory = memory;
    }

    /**
     * Runs {@code work} for each job, at most as many at once as the budget admits; returns when every started job has
     * ended. Jobs not started because of {@link #cancel()} are left out (their count: {@code jobs.size() - started()}).
     * {@code work} should not throw; what it throws is handed to the thread's uncaught-exception handler.
     */
    public void runAll(List<J> jobs, Consumer<J> work) throws InterruptedException {
        lock.lock();
        try {
            int n = 0;
            for (J job : jobs) {
                int v = vcpus.applyAsInt(job);
                long m = memory.applyAsLong(job);
                while (!cancelled && !budget.admits(running.size(), usedVcpus, usedMemory, v, m)) {
                    changed.await();
                }
                if (cancelled) {
                    break;
                }
                usedVcpus += v;
                usedMemory += m;
                Thread t = Thread.ofPlatform().name("gauntlet-" + (++n)).unstarted(() -> {
                    try {
                        work.accept(job);
                    } finally {
                        release(v, m);
                    }
                });
                running.add(t);
                started++;
                peakVms = Math.max(peakVms, running.size());
                peakVcpus = Math.max(peakVcpus, usedVcpus);
                t.start();
            }
            while (!running.isEmpty()) {
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    private void release(int v, long m) {
        lock.lock();
        try {
            running.remove(Thread.currentThread());
            usedVcpus -= v;
            usedMemory -= m;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Starts nothing more and interrupts the running jobs (which must then end promptly). */
    public void cancel() {
        lock.lock();
        try {
            cancelled = true;
            for (Thread t : running) {
                t.interrupt();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** Jobs running now. */
    public int runningNow() {
        lock.lock();
        try {
            return running.size();
        } finally {
            lock.unlock();
        }
    }

    /** Threads of the jobs running now (for tests: none after {@link #runAll} returns). */
    List<Thread> runningThreads() {
        lock.lock();
        try {
            return new ArrayList<>(running);
        } finally {
            lock.unlock();
        }
    }

    public int started() {
        lock.lock();
        try {
            return started;
        } finally {
            lock.unlock();
        }
    }

    /** The most jobs that ran at once. */
    public int peakVms() {
        lock.lock();
        try {
            return peakVms;
        } finally {
            lock.unlock();
        }
    }

    /** The most vCPUs that ran at once. */
    public long peakVcpus() {
        lock.lock();
        try {
            return peakVcpus;
        } finally {
            lock.unlock();
        }
    }
}
