package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A named scenario: its steps, made for a topology (canned ones are in {@link Scenarios}), and the topologies it
 * needs ({@link TopologyRequirements}: a sweep skips the others with the reason).
 */
public record Scenario(String name, Function<Topology, List<Step>> steps, TopologyRequirements requirements) {
    public Scenario {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(requirements, "requirements");
    }

    /** A scenario that runs on any topology. */
    public Scenario(String name, Function<Topology, List<Step>> steps) {
        this(name, steps, TopologyRequirements.any());
    }

    /** This scenario with {@code r} as what it needs of a topology. */
    public Scenario requiring(TopologyRequirements r) {
        return new Scenario(name, steps, r);
    }

    /** A scenario that adds {@code defs} and holds for the whole run. */
    public static Scenario of(String name, Function<Topology, List<CgroupDef>> defs) {
        return new Scenario(name, t -> List.of(Scenarios.addAllAndHold(defs.apply(t))));
    }

    /**
     * A scenario of fixed steps, validated now, as it is built ({@link Scenarios#validate(List)}: every op against
     * the cgroups that exist at that point, names, counts, holds, scheduler binaries), so a scenario that removes a
     * cgroup it never added fails here rather than after a boot; cpusets and NUMA nodes are checked against the
     * topology by {@link #stepsFor} ({@link Vm#run(Scenario)} and {@code jktstr run} call it before booting).
     */
    public static Scenario of(String name, List<Step> steps) {
        List<Step> fixed = List.copyOf(steps);
        Scenarios.validate(fixed);
        return new Scenario(name, t -> fixed);
    }

    /** The steps for {@code topology}, validated (nothing boots). */
    public List<Step> stepsFor(Topology topology) {
        List<Step> s = steps.apply(topology);
        Scenarios.validate(topology, s);
        return s;
    }
}
