package dev.jktstr.kvm;

import java.util.function.Consumer;

/**
 * One vCPU's platform thread ({@code kvm-vcpu<N>}, daemon) and what others need to stop it: its
 * pthread for {@link VcpuKick} and whether it is parked or done.
 */
final class VcpuHandle {

    final VcpuFd vcpu;
    final int index;
    private final Thread thread;
    /** 0 until the thread runs. */
    volatile long pthread;
    volatile boolean parked;
    volatile boolean done;
    /** The last KVM_RUN returned an exit: the instruction behind it completes on the next KVM_RUN. Own thread only. */
    boolean exitPending;

    VcpuHandle(VcpuFd vcpu, int index, Consumer<VcpuHandle> loop) {
        this.vcpu = vcpu;
        this.index = index;
        this.thread = Thread.ofPlatform().daemon().name("kvm-vcpu" + index).unstarted(() -> loop.accept(this));
    }

    void start() {
        thread.start();
    }

    /** Signals the thread out of KVM_RUN, if it runs; {@code immediate_exit} must be set first. */
    void kick() {
        long p = pthread;
        if (p != 0 && !done) {
            VcpuKick.kick(p);
        }
    }

    /** Waits up to {@code patienceNanos} for the thread to end, kicking it meanwhile; true once it has. */
    boolean join(long patienceNanos) {
        long deadline = System.nanoTime() + patienceNanos;
        while (thread.isAlive() && System.nanoTime() < deadline) {
            kick();
            try {
                thread.join(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return !thread.isAlive();
    }
}
