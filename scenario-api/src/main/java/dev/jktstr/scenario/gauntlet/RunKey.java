package dev.jktstr.scenario.gauntlet;

import java.util.Comparator;
import java.util.Objects;

/**
 * One cell of a gauntlet matrix, by name: the index's identity of a run, what shards split and merges join on.
 *
 * @param scheduler {@code eevdf} or the scheduler binary's file name
 * @param preset    the preset's name, or the topology string (N,L,C,T) when it is not a preset
 * @param kernel    the kernel release
 */
public record RunKey(String scenario, String scheduler, String preset, String kernel) implements Comparable<RunKey> {

    /** The index's order: scenario, scheduler, preset, kernel. */
    public static final Comparator<RunKey> ORDER = Comparator.comparing(RunKey::scenario)
            .thenComparing(RunKey::scheduler).thenComparing(RunKey::preset).thenComparing(RunKey::kernel);

    public RunKey {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(preset, "preset");
        Objects.requireNonNull(kernel, "kernel");
    }

    @Override
    public int compareTo(RunKey o) {
        return ORDER.compare(this, o);
    }

    /** A file name for the run's result: only letters, digits, '.', '_' and '-' (a hostile name cannot escape the dir). */
    public String fileName() {
        return safe(scenario) + "--" + safe(scheduler) + "--" + safe(preset) + "--" + safe(kernel) + ".json";
    }

    private static String safe(String s) {
        String t = s.replaceAll("[^A-Za-z0-9._-]", "_");
        return t.startsWith(".") ? "_" + t.substring(1) : t;
    }

    @Override
    public String toString() {
        return scenario + " / " + scheduler + " / " + preset + " / " + kernel;
    }
}
