package dev.jktstr.scenario;

import java.util.List;
import java.util.Objects;

/** Ops applied at once, then held: {@code Step.of(HoldSpec.fraction(0.5), Op.addCgroup(def))}. */
public record Step(List<Op> ops, HoldSpec hold) {
    public Step {
        ops = List.copyOf(ops);
        Objects.requireNonNull(hold, "hold");
    }

    public static Step of(HoldSpec hold, Op... ops) {
        return new Step(List.of(ops), hold);
    }
}
