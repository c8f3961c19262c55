package dev.jktstr.machine;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A way to run guests (QEMU, our own KVM VMM). Implementations register through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.jktstr.machine.MachineBackend})
 * and need a public no-argument constructor; see {@link MachineBackends}.
 */
public interface MachineBackend {

    /** Why a backend can or cannot boot a spec here. */
    record Support(boolean ok, String reason) {
        public static Support yes(String how) {
            return new Support(true, how);
        }

        public static Support no(String why) {
            return new Support(false, why);
        }
    }

    /** Short name used on the command line, e.g. {@code qemu}. */
    String name();

    /** Relative speed for picking the default: lower boots and runs faster. */
    int speedRank();

    /** Whether this backend can boot the spec on this host, and if not why (actionable). */
    Support canBoot(MachineSpec spec);

    /** The most vCPUs this backend creates here; at most {@link Topology#MAX_CPUS}. */
    default int maxCpus() {
        return Topology.MAX_CPUS;
    }

    /** {@link Support#no} naming this backend's limit when the spec has more CPUs than {@link #maxCpus()}. */
    default Optional<Support> cpuLimitExceeded(MachineSpec spec) {
        int cpus = spec.topology().cpuCount();
        return cpus <= maxCpus() ? Optional.empty() : Optional.of(Support.no("topology " + spec.topology() + " has "
                + cpus + " CPUs; the " + name() + " backend creates at most " + maxCpus() + " here"));
    }

    /**
     * The same backend in a named variant ({@code qemu:tcg}); backends without variants reject
     * every name with {@link InvalidSpecException}.
     */
    default MachineBackend variant(String variant) {
        throw new InvalidSpecException("backend", "'" + name() + "' has no variant '" + variant + "'");
    }

    /**
     * Starts the VMM and the guest. Returns once the guest runs with its channels connected (not
     * once it has booted; wait for the agent for that).
     *
     * @throws BackendUnavailableException if the backend cannot run here
     * @throws BootFailedException if the VMM exits while starting
     * @throws MachineTimeoutException if the VMM does not start within {@link MachineSpec#startTimeout()}
     */
    Machine boot(MachineSpec spec);

    /**
     * What a snapshot saved by this backend depends on besides the spec (the VMM binary and its version, the
     * accelerator), as one line that goes into every snapshot's key; empty when this backend has no snapshots.
     */
    default Optional<String> snapshotIdentity() {
        return Optional.empty();
    }

    /**
     * Starts {@code spec}'s guest from a state file that {@link Machine#saveState} of this backend wrote for the same
     * spec (the caller checks that: see the guest module's snapshot store); returns it running, channels connected.
     *
     * @throws BackendUnavailableException when this backend has no snapshots
     */
    default Machine restore(MachineSpec spec, Path state) {
        throw new BackendUnavailableException(name() + " cannot restore snapshots");
    }
}
