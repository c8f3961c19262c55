package dev.jktstr.guest;

import java.util.List;

/**
 * The CPUs a running worker was seen on (at its iterations) between two {@link AgentClient#takeWorkerCpus} calls.
 *
 * @param cpus ascending; empty when it did no iteration in between
 */
public record WorkerCpus(int pid, List<Integer> cpus) {
    public WorkerCpus {
        cpus = List.copyOf(cpus);
    }
}
