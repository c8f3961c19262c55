package dev.jktstr.guest;

import java.util.List;

/** Workers spawned by {@link AgentClient#spawnWorkers}: created and in their cgroup, waiting for the start. */
public record WorkerGroup(int id, List<Integer> pids) {
    public WorkerGroup {
        pids = List.copyOf(pids);
    }
}
