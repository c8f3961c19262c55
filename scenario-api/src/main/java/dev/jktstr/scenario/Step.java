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

    /** The schedulers {@code steps} switch to ({@link Op#replaceScheduler}), in order, repeats included. */
    static List<Scheduler.Binary> replacementSchedulers(List<Step> steps) {
        return steps.stream().flatMap(s -> s.ops().stream()).filter(Op.ReplaceScheduler.class::isInstance)
                .map(op -> ((Op.ReplaceScheduler) op).next()).toList();
    }
}
