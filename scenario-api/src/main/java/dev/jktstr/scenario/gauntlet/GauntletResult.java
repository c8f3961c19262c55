package dev.jktstr.scenario.gauntlet;

import java.nio.file.Path;

/**
 * How a gauntlet ended: its index (also at {@code indexFile}), whether it was cancelled, and how many of its
 * combinations never ran because of that.
 */
public record GauntletResult(GauntletIndex index, Path indexFile, boolean cancelled, int notRun) {

    /** {@code jktstr run}'s exit codes, over every run ({@link GauntletOutcome#exitCode}); 1 when cancelled with runs left. */
    public int exitCode() {
        int code = GauntletOutcome.exitCode(index.runs().stream().map(GauntletEntry::outcome).toList());
        return cancelled && notRun > 0 && code != 1 ? 1 : code;
    }
}
