package dev.jktstr.kvm;

import dev.jktstr.machine.ExitReason;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why the guest stopped. Devices, vCPU threads, the watchdog and close all report here; the first
 * reason wins, runs the stop actions once and wakes the waiters. Never blocks, so a vCPU thread may
 * report its own exit.
 */
final class ExitLatch {

    private static final Logger LOG = LoggerFactory.getLogger(ExitLatch.class);

    private final AtomicReference<VirtualMachine.Exit> exit = new AtomicReference<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<Runnable> onStop = new CopyOnWriteArrayList<>();

    /** Runs {@code action} when the guest stops, after the actions added before it. */
    void onStop(Runnable action) {
        onStop.add(action);
    }

    /** Records {@code reason} unless the guest already stopped. */
    void finish(ExitReason reason, String detail) {
        if (!exit.compareAndSet(null, new VirtualMachine.Exit(reason, detail))) {
            return;
        }
        LOG.debug("guest stopped: {} ({})", reason, detail);
        onStop.forEach(Runnable::run);
        stopped.countDown();
    }

    Optional<VirtualMachine.Exit> exit() {
        return Optional.ofNullable(exit.get());
    }

    boolean stopped() {
        return exit.get() != null;
    }

    /** The reason once the guest stops, {@link ExitReason#TIMEOUT} if it still runs after {@code timeout}. */
    ExitReason await(Duration timeout) {
        try {
            if (stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return exit.get().reason();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitReason.TIMEOUT;
    }
}
