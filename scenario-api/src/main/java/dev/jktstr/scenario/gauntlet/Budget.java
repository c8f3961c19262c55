package dev.jktstr.scenario.gauntlet;

import dev.jktstr.scenario.InvalidScenarioException;
import java.util.Locale;

/**
 * How many VMs a gauntlet runs at once: a job starts when the vCPUs and the memory of the running VMs and its own
 * stay within {@code vcpus} and {@code memoryMib}, and at most {@code maxVms} run. {@code floorVms} VMs may run even
 * past the vCPU budget (never past memory): a guest spends much of its life in work that leaves the host's cores idle
 * (a TCG boot is one vCPU's work until SMP comes up; the agent's round trips; the kernel's idle CPUs), so one lone
 * VM, however wide, leaves a small host half idle.
 *
 * @param why how the numbers were chosen, for the plan's printout
 */
public record Budget(int vcpus, long memoryMib, int floorVms, int maxVms, String why) {
    public Budget {
        if (vcpus < 1) {
            throw new InvalidScenarioException("--vcpus", "the vCPU budget must be at least 1, got " + vcpus);
        }
        if (memoryMib < 64) {
            throw new InvalidScenarioException("--memory-budget", "the memory budget must be at least 64 MiB, got "
                    + memoryMib);
        }
        if (maxVms < 1) {
            throw new InvalidScenarioException("--max-vms", "must be at least 1, got " + maxVms);
        }
        floorVms = Math.max(1, Math.min(floorVms, maxVms));
        why = why == null ? "" : why;
    }

    /** One VM at a time, however small: the sequential baseline. */
    public static Budget sequential(long memoryMib) {
        return new Budget(Integer.MAX_VALUE, memoryMib, 1, 1, "one VM at a time");
    }

    /**
     * The host's default: vCPUs = max(host cores, the largest VM's vCPUs) (so every VM can run), at least
     * min(2, cores) VMs at once, memory = MemAvailable less a margin ({@link HostResources}).
     */
    public static Budget forHost(HostResources host, int largestVcpus) {
        int cpus = Math.max(host.cores(), largestVcpus);
        int floor = Math.min(2, host.cores());
        return new Budget(cpus, host.usableMemoryMib(), floor, Integer.MAX_VALUE, String.format(Locale.ROOT,
                "%d vCPUs (max of %d host cores and the largest VM's %d vCPUs), at least %d VMs at once;"
                        + " %d MiB (MemAvailable %d MiB less a %d MiB margin)", cpus, host.cores(), largestVcpus, floor,
                host.usableMemoryMib(), host.memAvailableMib(), host.marginMib()));
    }

    /** Whether a job of {@code jobVcpus}/{@code jobMemory} may start beside {@code running} VMs using the rest. */
    boolean admits(int running, long usedVcpus, long usedMemory, int jobVcpus, long jobMemory) {
        if (running >= maxVms) {
            return false;
        }
        if (running == 0) {
            return true; // what does not fit alone was skipped in the plan; never wait for nothing
        }
        if (usedMemory + jobMemory > memoryMib) {
            return false;
        }
        return usedVcpus + jobVcpus <= vcpus || running < floorVms;
    }

    @Override
    public String toString() {
        return why.isEmpty() ? vcpus + " vCPUs, " + memoryMib + " MiB" : why;
    }
}
