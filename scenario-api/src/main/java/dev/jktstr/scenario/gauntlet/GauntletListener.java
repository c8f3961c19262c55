package dev.jktstr.scenario.gauntlet;

/** What a gauntlet tells while it runs (called from its threads; implementations synchronise themselves). */
public interface GauntletListener {
    /** The plan, before anything starts. */
    default void planned(GauntletPlan plan) {
    }

    default void started(Combination c) {
    }

    default void finished(GauntletEntry e) {
    }

    GauntletListener NONE = new GauntletListener() {
    };
}
