package dev.jktstr.cli;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/** What {@code --scheduler} and {@code --scheduler-arg} mean, shared by the commands that boot with a scheduler. */
final class SchedulerChoice {

    private SchedulerChoice() {}

    /**
     * eevdf, a binary's path, or the name of a scheduler built with {@code kernel} ({@code jktstr kernel build}; looked
     * up only for a name).
     */
    static Scheduler resolve(String scheduler, List<String> schedulerArgs, Supplier<KernelImage> kernel) {
        String[] args = schedulerArgs.toArray(String[]::new);
        if (scheduler.equalsIgnoreCase("eevdf")) {
            if (args.length > 0) {
                throw new InvalidScenarioException("--scheduler-arg", "EEVDF takes no arguments");
            }
            return Scheduler.eevdf();
        }
        if (scheduler.contains("/") || Files.exists(Path.of(scheduler))) {
            return Scheduler.binary(Path.of(scheduler), args);
        }
        return Scheduler.binary(kernel.get().scheduler(scheduler), args);
    }
}
