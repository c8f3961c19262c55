package dev.jktstr.guest;

import dev.jktstr.machine.BootProgress;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A guest booted to a working agent: its image, the machine and the agent client, closed together (agent, then
 * machine, then image). The one boot-and-wait sequence of the project: the scenario layer, the CLI and the tests boot
 * through it. A slow boot reports where it is every {@link #SLOW_BOOT}; a boot that fails or times out throws the
 * backend's {@link dev.jktstr.machine.MachineException} with the console's tail (see {@link MachineFailures}), and
 * leaves nothing running.
 */
public final class GuestSession implements AutoCloseable {

    /** How often a slow boot reports where it is (the console's last line). */
    public static final Duration SLOW_BOOT = Duration.ofSeconds(10);

    /**
     * Longest wait for a restored agent's READY before falling back to a cold boot: it answers at once (well under a
     * second here), so a restored guest that does not answer is broken, not slow.
     */
    static final Duration RESTORE_READY = Duration.ofSeconds(30);

    private final GuestImage image; // null when the caller owns the initramfs
    private final Machine machine;
    private final AgentClient agent;
    private final Duration bootToReady;
    private final boolean restored;

    private GuestSession(GuestImage image, Machine machine, AgentClient agent, Duration bootToReady, boolean restored) {
        this.image = image;
        this.machine = machine;
        this.agent = agent;
        this.bootToReady = bootToReady;
        this.restored = restored;
    }

    /**
     * Boots {@code spec} (whose initramfs is {@code image}'s) on {@code backend} and waits up to {@code readyTimeout}
     * for the agent. The session owns {@code image} from here on, also when this throws.
     *
     * @param progress where slow-boot lines go (a logger, stderr)
     */
    public static GuestSession boot(MachineBackend backend, MachineSpec spec, GuestImage image, Duration readyTimeout,
            Consumer<String> progress) {
        return boot(backend, spec, image, readyTimeout, progress, null);
    }

    /**
     * Like {@link #boot(MachineBackend, MachineSpec, GuestImage, Duration, Consumer)}, starting from a snapshot in
     * {@code snapshots} when it holds one for this spec and backend ({@link SnapshotStore#find}); otherwise it boots
     * cold and saves the guest there once the agent is READY, for the next run. Why no snapshot was used (none yet,
     * refused with the reason, a restore that failed) goes to {@code progress}; a failed restore falls back to a cold
     * boot, a failed save only loses the snapshot.
     *
     * @param snapshots where snapshots live, or null for none (a cold boot every time)
     */
    public static GuestSession boot(MachineBackend backend, MachineSpec spec, GuestImage image, Duration readyTimeout,
            Consumer<String> progress, SnapshotStore snapshots) {
        return start(backend, spec, Objects.requireNonNull(image, "image"), readyTimeout, progress, snapshots);
    }

    /**
     * Like {@link #boot(MachineBackend, MachineSpec, GuestImage, Duration, Consumer)} for a spec whose initramfs the
     * caller keeps (one image, many boots); progress lines are dropped.
     */
    public static GuestSession boot(MachineBackend backend, MachineSpec spec, Duration readyTimeout) {
        return start(backend, spec, null, readyTimeout, line -> { }, null);
    }

    /** Like {@link #boot(MachineBackend, MachineSpec, Duration)}, through {@code snapshots} as the six-argument boot. */
    public static GuestSession boot(MachineBackend backend, MachineSpec spec, Duration readyTimeout,
            Consumer<String> progress, SnapshotStore snapshots) {
        return start(backend, spec, null, readyTimeout, progress, snapshots);
    }

    private static GuestSession start(MachineBackend backend, MachineSpec spec, GuestImage image, Duration readyTimeout,
            Consumer<String> progress, SnapshotStore snapshots) {
        SnapshotStore.Lookup lookup = snapshots == null ? null : snapshots.find(backend, spec);
        if (lookup != null && lookup.state().isPresent()) {
            try {
                Duration restoreTimeout = readyTimeout.compareTo(RESTORE_READY) < 0 ? readyTimeout : RESTORE_READY;
                return connect(backend.restore(spec, lookup.state().get()), image, restoreTimeout, progress, true,
                        backend, spec);
            } catch (RuntimeException e) {
                progress.accept("restoring " + lookup.reason() + " failed, booting cold: " + e.getMessage());
            }
        } else if (lookup != null) {
            progress.accept("booting cold: " + lookup.reason());
        }
        GuestSession session = connect(null, image, readyTimeout, progress, false, backend, spec);
        if (lookup != null && lookup.key().isPresent()) {
            saveQuietly(snapshots, lookup.key().get(), session.machine, readyTimeout, progress);
        }
        return session;
    }

    /** Saves a freshly booted guest for the next run; a failure costs only the snapshot. */
    private static void saveQuietly(SnapshotStore snapshots, SnapshotKey key, Machine machine, Duration timeout,
            Consumer<String> progress) {
        try {
            long t0 = System.nanoTime();
            Path slot = snapshots.save(key, machine, timeout);
            progress.accept("saved a snapshot of the booted guest in " + slot + " ("
                    + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms)");
        } catch (IOException | RuntimeException e) {
            progress.accept("could not save a snapshot: " + e.getMessage());
        }
    }

    /**
     * Waits for the agent on {@code given} (a restored machine, already running), or on a machine booted now from
     * {@code spec} when it is null. After a restore the agent is already past its start: the HELLO the client sends
     * makes it announce READY again on the new connection.
     */
    private static GuestSession connect(Machine given, GuestImage image, Duration readyTimeout,
            Consumer<String> progress, boolean restored, MachineBackend backend, MachineSpec spec) {
        Machine machine = given;
        try {
            if (machine == null) {
                machine = backend.boot(spec);
            }
            AgentClient agent;
            try (BootProgress watch = BootProgress.watch(machine, SLOW_BOOT, progress)) {
                agent = AgentClient.connect(machine.control().in(), machine.control().out(), readyTimeout);
            } catch (GuestException e) {
                throw MachineFailures.explain(machine, "waiting for the guest agent", readyTimeout, e);
            }
            return new GuestSession(image, machine, agent, Duration.ofNanos(System.nanoTime() - machine.startNanos()),
                    restored);
        } catch (RuntimeException e) {
            if (machine != null) {
                machine.close();
            }
            if (image != null && !restored) {
                image.close(); // a failed restore boots cold next, with the image
            }
            throw e;
        }
    }

    /** The image this session owns, if it was given one. */
    public java.util.Optional<GuestImage> image() {
        return java.util.Optional.ofNullable(image);
    }

    public Machine machine() {
        return machine;
    }

    public AgentClient agent() {
        return agent;
    }

    /** Whether this guest started from a snapshot rather than a cold boot. */
    public boolean restored() {
        return restored;
    }

    /** From the VMM's start to the agent's READY, as the host saw it (from a snapshot: the restore to READY). */
    public Duration bootToReady() {
        return bootToReady;
    }

    /** Asks the guest to power off and waits up to {@code wait} for it; {@link #close()} kills it anyway. */
    public void powerOff(Duration wait) {
        try {
            if (agent.isOpen()) {
                agent.powerOff(wait);
            }
        } catch (GuestException ignored) {
            // the guest is going away either way
        }
        machine.awaitExit(wait);
    }

    @Override
    public void close() {
        try {
            agent.close();
        } finally {
            try {
                machine.close();
            } finally {
                if (image != null) {
                    image.close();
                }
            }
        }
    }
}
