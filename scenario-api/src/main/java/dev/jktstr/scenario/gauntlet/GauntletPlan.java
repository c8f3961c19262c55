package dev.jktstr.scenario.gauntlet;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a gauntlet will do: the combinations it runs (this shard's, costliest first: the order they are queued in)
 * and the ones it skips with the reason, the budget and the shard.
 */
public record GauntletPlan(List<Combination> toRun, List<GauntletEntry> skipped, Budget budget, Optional<Shard> shard,
        int matrixSize) {
    public GauntletPlan {
        toRun = List.copyOf(toRun);
        skipped = List.copyOf(skipped);
    }

    /** Lines for a person: what was queued and why, what was skipped and why. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("gauntlet: " + matrixSize + " combinations" + shard.map(s -> ", shard " + s + ": " + (toRun.size()
                + skipped.size()) + " of them").orElse("") + "; " + toRun.size() + " to run, " + skipped.size()
                + " skipped");
        lines.add("budget: " + budget);
        for (Combination c : toRun) {
            lines.add("  queued  " + c.key() + "  (" + c.vcpus() + " vCPUs, " + c.memoryMib() + " MiB)");
        }
        for (GauntletEntry e : skipped) {
            lines.add("  skipped " + e.key() + ": " + e.reason());
        }
        return lines;
    }
}
