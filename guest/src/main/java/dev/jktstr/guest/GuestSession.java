package dev.jktstr.guest;

import dev.jktstr.machine.BootProgress;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
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

    private final GuestImage image; // null when the caller owns the initramfs
    private final Machine machine;
    private final AgentClient agent;
    private final Duration bootToReady;

    private GuestSession(GuestImage image, Machine machine, AgentClient agent, Duration bootToReady) {
        this.image = image;
        this.machine = machine;
        this.agent = agent;
        this.bootToReady = bootToReady;
    }

    /**
     * Boots {@code spec} (whose initramfs is {@code image}'s) on {@code backend} and waits up to {@code readyTimeout}
     * for the agent. The session owns {@code image} from here on, also when this throws.
     *
     * @param progress where slow-boot lines go (a logger, stderr)
     */
    public static GuestSession boot(MachineBackend backend, MachineSpec spec, GuestImage image, Duration readyTimeout,
            Consumer<String> progress) {
        return start(backend, spec, Objects.requireNonNull(image, "image"), readyTimeout, progress);
    }

    /**
     * Like {@link #boot(MachineBackend, MachineSpec, GuestImage, Duration, Consumer)} for a spec whose initramfs the
     * caller keeps (one image, many boots); progress lines are dropped.
     */
    public static GuestSession boot(MachineBackend backend, MachineSpec spec, Duration readyTimeout) {
        return start(backend, spec, null, readyTimeout, line -> { });
    }

    private static GuestSession start(MachineBackend backend, MachineSpec spec, GuestImage image, Duration readyTimeout,
            Consumer<String> progress) {
        Machine machine = null;
        try {
            machine = backend.boot(spec);
            AgentClient agent;
            try (BootProgress watch = BootProgress.watch(machine, SLOW_BOOT, progress)) {
                agent = AgentClient.connect(machine.control().in(), machine.control().out(), readyTimeout);
            } catch (GuestException e) {
                throw MachineFailures.explain(machine, "waiting for the guest agent", readyTimeout, e);
            }
            return new GuestSession(image, machine, agent, Duration.ofNanos(System.nanoTime() - machine.startNanos()));
        } catch (RuntimeException e) {
            if (machine != null) {
                machine.close();
            }
            if (image != null) {
                image.close();
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

    /** From the VMM's start to the agent's READY, as the host saw it. */
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
