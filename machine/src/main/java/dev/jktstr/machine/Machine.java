package dev.jktstr.machine;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A booted guest. Obtained from {@link MachineBackend#boot}; the guest runs from then on. Closing it
 * kills the guest and releases every process, thread, socket, mapping and temp file it used.
 * Thread-safe.
 */
public interface Machine extends AutoCloseable {

    MachineSpec spec();

    /** The backend that runs this guest, e.g. {@code qemu:tcg}. */
    String backendName();

    /** {@link System#nanoTime()} when the backend began starting the VMM, for boot-time measurements. */
    long startNanos();

    /** Guest-physical memory, shared live with the guest. */
    GuestMemory memory();

    /** Stops all vCPUs; returns once they are stopped. Idempotent. */
    void pause();

    /** Lets all vCPUs run again. Idempotent. */
    void resume();

    boolean isPaused();

    /**
     * Stops the guest as fast as the backend can, for reading guest memory only: unlike
     * {@link #pause()} the guest clock may keep running and {@link #registers(int)} may not answer
     * until {@link #thaw()}. Memory introspection snapshots use it. Defaults to {@link #pause()}.
     */
    default void freeze() {
        pause();
    }

    /** Undoes {@link #freeze()}. Defaults to {@link #resume()}. */
    default void thaw() {
        resume();
    }

    /**
     * What the host gave the thread that runs vCPU {@code cpu} so far: CPU time, time waiting for a host CPU, whether
     * it is stopped now, and how many vCPUs share that thread. It tells a guest that stalled from a host that did not
     * run the vCPU. Empty when the backend cannot tell (the default), or the thread cannot be found or read. Cheap
     * (a few small /proc reads); never throws.
     */
    default Optional<VcpuHostTime> vcpuHostTime(int cpu) {
        return Optional.empty();
    }

    /** One vCPU's registers; the machine must be paused ({@link MachineStateException} otherwise). */
    VcpuRegisters registers(int cpu);

    /**
     * The serial console output, starting at the oldest byte the backend still holds (it keeps a bounded
     * history, 1 MiB under QEMU; a reader that falls further behind skips ahead rather than stalling the
     * guest). Ends when the guest exits.
     */
    InputStream console();

    /** Input to the serial console (for an interactive shell). */
    OutputStream consoleInput();

    /** The last lines of console output, bounded (a few KiB). */
    String consoleTail();

    /** The control port {@value MachineSpec#CONTROL_PORT} the guest agent talks on. */
    GuestPort control();

    /** An extra console port named in {@link MachineSpec#consolePorts()}. */
    GuestPort port(String name);

    /** Why the guest stopped, once it has. */
    Optional<ExitReason> exitReason();

    /**
     * Waits until the guest stops or the timeout passes; returns the exit reason or
     * {@link ExitReason#TIMEOUT} (the guest then keeps running).
     */
    ExitReason awaitExit(Duration timeout);

    /** Kills the guest if it still runs and releases everything. Idempotent; never throws. */
    @Override
    void close();

    /**
     * Saves the whole guest (vCPUs, devices, RAM) into {@code file}, for {@link MachineBackend#restore}; the guest is
     * stopped while it saves and runs on afterwards. Backends without snapshots throw {@link MachineStateException}.
     *
     * @param timeout how long the save may take
     */
    default void saveState(Path file, Duration timeout) {
        throw new MachineStateException(backendName() + " cannot save snapshots");
    }
}
