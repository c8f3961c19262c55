package dev.jktstr.kvm;

import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.MachineStateException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the vCPUs: one {@link VcpuHandle} thread each, looping on KVM_RUN and handing every exit to the
 * {@link VcpuExitHandler}. Pause and stop set {@code immediate_exit} before the {@link VcpuKick}, so a
 * kick landing just before KVM_RUN is not lost; pause re-kicks until every vCPU has parked. A vCPU parks only
 * after a KVM_RUN that returned without an exit to handle, so no PIO/MMIO instruction is left half done
 * (KVM's API doc: re-enter with {@code immediate_exit} set before saving state).
 */
final class VcpuRunner {

    /** How long pause and join wait for vCPU threads. */
    static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final List<VcpuHandle> handles = new ArrayList<>();
    private final VcpuExitHandler handler;
    private final ExitLatch exits;
    private final Object lock = new Object();
    private volatile boolean pauseRequested;
    private volatile boolean stopRequested;

    VcpuRunner(List<VcpuFd> vcpus, VcpuExitHandler handler, ExitLatch exits) {
        this.handler = handler;
        this.exits = exits;
        for (int i = 0; i < vcpus.size(); i++) {
            handles.add(new VcpuHandle(vcpus.get(i), i, this::loop));
        }
    }

    int count() {
        return handles.size();
    }

    VcpuFd vcpu(int index) {
        return handles.get(index).vcpu;
    }

    void start() {
        handles.forEach(VcpuHandle::start);
    }

    private void loop(VcpuHandle t) {
        t.pthread = VcpuKick.self();
        try {
            while (!stopRequested) {
                if (pauseRequested && !t.exitPending) {
                    synchronized (lock) {
                        if (pauseRequested) {
                            t.parked = true;
                            lock.notifyAll();
                            while (pauseRequested && !stopRequested) {
                                lock.wait();
                            }
                            t.parked = false;
                            continue;
                        }
                    }
                }
                VcpuExit exit = t.vcpu.run();
                // An I/O or MMIO exit completes only on the next KVM_RUN (which, with immediate_exit set, finishes
                // the instruction and returns at once): park only after that, so saved registers are consistent.
                t.exitPending = !(exit instanceof VcpuExit.Interrupted);
                handler.handle(t.vcpu, t.index, exit);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            exits.finish(ExitReason.CRASHED, "vCPU " + t.index + " failed: " + e);
        } finally {
            synchronized (lock) {
                t.done = true;
                lock.notifyAll();
            }
        }
    }

    /** Parks every vCPU outside KVM_RUN; returns once all are parked or done. */
    void pause() {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        synchronized (lock) {
            pauseRequested = true;
            while (!allParked()) {
                // A thread may not have published its pthread yet, or may have raced past the flag: kick again.
                for (VcpuHandle t : handles) {
                    if (!t.parked && !t.done) {
                        t.vcpu.immediateExit(true);
                        t.kick();
                    }
                }
                try {
                    lock.wait(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    resume(); // a pause that did not happen must not leave the vCPUs parked behind the caller's back
                    throw new MachineStateException("interrupted while pausing the VM");
                }
                if (System.nanoTime() > deadline) {
                    resume();
                    throw new KvmException("vCPUs did not stop within 10 s of the pause kick");
                }
            }
        }
    }

    private boolean allParked() {
        for (VcpuHandle t : handles) {
            if (!t.parked && !t.done) {
                return false;
            }
        }
        return true;
    }

    /** Lets parked vCPUs run again. */
    void resume() {
        synchronized (lock) {
            for (VcpuHandle t : handles) {
                t.vcpu.immediateExit(false);
            }
            pauseRequested = false;
            lock.notifyAll();
        }
    }

    /** Ends every vCPU's loop (without waiting: may run on a vCPU thread). */
    void stop() {
        stopRequested = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        for (VcpuHandle t : handles) {
            t.vcpu.immediateExit(true);
        }
        handles.forEach(VcpuHandle::kick);
    }

    /** Joins every thread after {@link #stop()}; false when one is still alive (then kvm_run must stay mapped). */
    boolean join() {
        boolean allJoined = true;
        for (VcpuHandle t : handles) {
            allJoined &= t.join(PATIENCE_NANOS);
        }
        return allJoined;
    }

    /** Closes the vCPUs (unmaps kvm_run): only after {@link #join()} said yes, or before {@link #start()}. */
    void closeVcpus() {
        handles.forEach(t -> t.vcpu.close());
    }
}
