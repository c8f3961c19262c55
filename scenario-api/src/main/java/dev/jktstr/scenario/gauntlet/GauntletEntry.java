package dev.jktstr.scenario.gauntlet;

import java.util.Objects;

/**
 * One run of the index ({@code runs[]} in {@code index.json}).
 *
 * @param reason one line, or null (a PASS needs none)
 * @param result the run's result JSON relative to the index, or null (SKIP, ERROR)
 */
public record GauntletEntry(RunKey key, GauntletOutcome outcome, String reason, String result, long wallMs) {
    public GauntletEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        if (reason != null) {
            // one line, bounded: reasons quote the guest (kmsg, a scheduler's exit)
            reason = dev.jktstr.machine.GuestText.line(reason, 2000);
        }
    }

    public static GauntletEntry skip(RunKey key, String reason) {
        return new GauntletEntry(key, GauntletOutcome.SKIP, reason, null, 0);
    }

    public GauntletEntry withResult(String relativePath) {
        return new GauntletEntry(key, outcome, reason, relativePath, wallMs);
    }
}
