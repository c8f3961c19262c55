package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/** A named scenario: its steps, made for a topology (canned ones are in {@link Scenarios}). */
public record Scenario(String name, Function<Topology, List<Step>> steps) {
    public Scenario {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(steps, "steps");
    }

    /** A scenario that adds {@code defs} and holds for the whole run. */
    public static Scenario of(String name, Function<Topology, List<CgroupDef>> defs) {
        return new Scenario(name, t -> List.of(Scenarios.addAllAndHold(defs.apply(t))));
    }

    /** The steps for {@code topology}, validated (nothing boots). */
    public List<Step> stepsFor(Topology topology) {
        List<Step> s = steps.apply(topology);
        Scenarios.validate(topology, s);
        return s;
    }
}
