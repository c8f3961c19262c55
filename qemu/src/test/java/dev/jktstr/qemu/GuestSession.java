package dev.jktstr.qemu;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A booted guest with its agent connected: what most tests need. Closing powers nothing off, it kills. */
record GuestSession(Machine machine, AgentClient agent, long readyNanos) implements AutoCloseable {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    static GuestImage image() {
        return GuestImage.builder().withBusybox(true).build();
    }

    static GuestSession boot(MachineBackend backend, MachineSpec spec, Duration readyTimeout) {
        Machine m = backend.boot(spec);
        try {
            AgentClient agent = AgentClient.connect(m.control().in(), m.control().out(), readyTimeout);
            return new GuestSession(m, agent, System.nanoTime());
        } catch (GuestException e) {
            RuntimeException explained = MachineFailures.explain(m, "waiting for the guest agent", readyTimeout, e);
            m.close();
            throw explained;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Runs a shell command line through the image's busybox (independent of its applet links). */
    ExecResult sh(String commandLine) {
        return agent.exec(List.of("/bin/busybox", "sh", "-c", commandLine), Map.of(), Duration.ofSeconds(60));
    }

    /** Time from starting the VMM to the agent's READY frame. */
    Duration bootToReady() {
        return Duration.ofNanos(readyNanos - machine.startNanos());
    }

    @Override
    public void close() {
        agent.close();
        machine.close();
    }
}
