package dev.jktstr.cli;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.BootProgress;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
import java.time.Duration;

/** A guest booted for a command: image, machine and agent, closed together. */
final class GuestBoot implements AutoCloseable {

    final GuestImage image;
    final Machine machine;
    final AgentClient agent;
    final Duration bootToReady;

    private GuestBoot(GuestImage image, Machine machine, AgentClient agent, Duration bootToReady) {
        this.image = image;
        this.machine = machine;
        this.agent = agent;
        this.bootToReady = bootToReady;
    }

    /** Boots and waits for the agent; every failure carries the console tail in its message. */
    static GuestBoot start(MachineOptions options, String extraCmdline) {
        return start(options, extraCmdline, b -> { });
    }

    /** Like {@link #start(MachineOptions, String)}, letting the caller add files to the guest image first. */
    static GuestBoot start(MachineOptions options, String extraCmdline,
            java.util.function.Consumer<GuestImage.Builder> imageFiles) {
        KernelImage kernel = options.kernelImage();
        GuestImage.Builder builder = GuestImage.builder().withBusybox(true);
        imageFiles.accept(builder);
        GuestImage image = builder.build();
        Machine machine = null;
        try {
            MachineSpec spec = options.spec(kernel.image(), image.initramfs(), extraCmdline);
            MachineBackend backend = options.backend(spec);
            machine = backend.boot(spec);
            Duration timeout = options.readyTimeout();
            AgentClient agent;
            try (BootProgress progress = BootProgress.watch(machine, SLOW_BOOT, System.err::println)) {
                agent = AgentClient.connect(machine.control().in(), machine.control().out(), timeout);
            } catch (GuestException e) {
                throw MachineFailures.explain(machine, "waiting for the guest agent", timeout, e);
            }
            return new GuestBoot(image, machine, agent, Duration.ofNanos(System.nanoTime() - machine.startNanos()));
        } catch (dev.jktstr.machine.MachineException e) {
            closeAll(image, machine);
            throw new IllegalStateException(e.describe(), e);
        } catch (RuntimeException e) {
            closeAll(image, machine);
            throw e;
        }
    }

    /** How often a slow boot reports where it is. */
    static final Duration SLOW_BOOT = Duration.ofSeconds(10);

    private static void closeAll(GuestImage image, Machine machine) {
        if (machine != null) {
            machine.close();
        }
        image.close();
    }

    /** Asks the guest to power off and waits briefly for it; closing kills it anyway. */
    void powerOff() {
        try {
            agent.powerOff(Duration.ofSeconds(10));
        } catch (GuestException ignored) {
            // the guest is going away either way
        }
        machine.awaitExit(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        agent.close();
        closeAll(image, machine);
    }
}
