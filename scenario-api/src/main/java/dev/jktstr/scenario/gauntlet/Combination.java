package dev.jktstr.scenario.gauntlet;

import dev.jktstr.machine.Topology;
import dev.jktstr.scenario.Scenario;
import dev.jktstr.scenario.Scheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * One cell of the matrix with everything needed to run it in its own VM.
 *
 * @param kernel           the kernel directory or image, empty for the standard lookup
 * @param memoryPerNodeMib the VM's RAM per NUMA node
 */
public record Combination(RunKey key, Scenario scenario, Topology topology, long memoryPerNodeMib, Scheduler scheduler,
        Optional<Path> kernel, Duration duration) {

    /**
     * Guest time a boot costs beyond the run, for balancing only (TCG here: ~5 s alone, more for more vCPUs as the
     * SMP bring-up is emulated too; the vCPU factor in {@link #cost()} covers that).
     */
    static final long BOOT_ALLOWANCE_MS = 5_000;

    public int vcpus() {
        return topology.cpuCount();
    }

    public long memoryMib() {
        return memoryPerNodeMib * topology.numaNodes();
    }

    /** Expected cost for sharding and queue order: vCPUs × (run time + a boot). */
    public long cost() {
        return (long) vcpus() * (duration.toMillis() + BOOT_ALLOWANCE_MS);
    }
}
