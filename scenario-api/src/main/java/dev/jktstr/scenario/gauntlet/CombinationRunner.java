package dev.jktstr.scenario.gauntlet;

import java.nio.file.Path;

/**
 * Runs one combination and says how it went; {@link VmCombinationRunner} boots a VM, tests use fakes. Called on a
 * {@link BudgetScheduler} thread; must not throw, and must end promptly once that thread is interrupted or
 * {@link #cancelAll()} is called.
 */
public interface CombinationRunner {

    /**
     * @param resultsDir where the index goes; a result file is written below it and named in the entry relative to it
     */
    GauntletEntry run(Combination c, Path resultsDir);

    /** Stops every run in progress (Ctrl-C): their VMs are closed; they end as ERROR "cancelled". */
    default void cancelAll() {
    }
}
