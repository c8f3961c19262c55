package dev.jktstr.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one cgroup's workers did during one step's holds, against the CPUs they were allowed then: the subject of
 * {@code step<N>.<cgroup>.workersOutsideCpuset}. A worker counts for the cgroup that spawned it (one moved elsewhere
 * with {@link Op#moveTasks} is still held to it, as the run-wide claim does). The CPUs are the workers' own (the agent's
 * {@code WORKERS_CPUS}, taken when the step's ops are applied and again when its hold ends), so nothing between a
 * cpuset write and the hold counts.
 *
 * @param step    1-based
 * @param allowed the CPUs allowed during the holds ({@link CpusetSpec#format} of cpuset ∩ affinity ∩ the ancestors'
 *                cpusets; several in a loop hold whose ops change them)
 * @param used    per worker pid, every CPU it was seen on during the holds
 * @param outside per worker pid, the CPUs it was seen on outside what was allowed at that moment; absent when none
 */
public record StepIsolation(int step, String cgroup, List<String> allowed, Map<Integer, List<Integer>> used,
        Map<Integer, List<Integer>> outside) implements Labeled {

    public StepIsolation {
        allowed = List.copyOf(allowed);
        used = java.util.Collections.unmodifiableMap(new TreeMap<>(used));
        outside = java.util.Collections.unmodifiableMap(new TreeMap<>(outside));
    }

    @Override
    public String label() {
        return "step" + step + "." + cgroup;
    }

    /** Workers seen on a CPU outside what was allowed while the step held. */
    public double workersOutsideCpuset() {
        return outside.size();
    }

    /** Whether any worker did an iteration during the holds (else nothing can be judged). */
    public boolean anyUsed() {
        return used.values().stream().anyMatch(c -> !c.isEmpty());
    }

    /** {@code allowed 0; outside: pid 86 on [1]; used: pid 82 [0], pid 86 [1]}. */
    public String describe() {
        List<String> u = new ArrayList<>();
        used.forEach((pid, cpus) -> u.add("pid " + pid + " " + cpus));
        List<String> o = new ArrayList<>();
        outside.forEach((pid, cpus) -> o.add("pid " + pid + " on " + cpus));
        return "allowed " + String.join(" then ", allowed) + (o.isEmpty() ? "" : "; outside: " + String.join(", ", o))
                + "; used: " + String.join(", ", u);
    }
}
