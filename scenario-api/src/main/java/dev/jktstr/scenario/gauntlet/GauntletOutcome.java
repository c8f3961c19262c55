package dev.jktstr.scenario.gauntlet;

import dev.jktstr.scenario.Outcome;
import java.util.Collection;

/**
 * How one combination of a gauntlet ended: a run's {@link Outcome}, or SKIP (it did not fit its scenario's
 * constraints or the host; no result file) or ERROR (jktstr itself failed: boot error, timeout, cancelled).
 */
public enum GauntletOutcome {
    PASS, FAIL, INCONCLUSIVE, SKIP, ERROR;

    public static GauntletOutcome of(Outcome o) {
        return valueOf(o.name());
    }

    /**
     * The process exit code for a whole matrix, as {@code jktstr run}'s: 1 when any run failed or errored (an error is
     * a run that proved nothing, so CI must not go green), else 3 when any was inconclusive, else 0 when any passed,
     * else 4 (everything skipped, or nothing to run).
     */
    public static int exitCode(Collection<GauntletOutcome> outcomes) {
        if (outcomes.contains(FAIL) || outcomes.contains(ERROR)) {
            return 1;
        }
        if (outcomes.contains(INCONCLUSIVE)) {
            return 3;
        }
        return outcomes.contains(PASS) ? 0 : 4;
    }
}
