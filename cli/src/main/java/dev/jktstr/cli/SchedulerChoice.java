package dev.jktstr.cli;

import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What {@code --scheduler} and {@code --scheduler-arg} mean, shared by the commands that boot with a scheduler. */
final class SchedulerChoice {

    private SchedulerChoice() {}

    /** eevdf, a binary's path, or the name of a scheduler built with the kernel ({@code jktstr kernel build}). */
    static Scheduler resolve(String scheduler, List<String> schedulerArgs, MachineOptions machine) {
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
        return Scheduler.binary(machine.kernelImage().scheduler(scheduler), args);
    }
}
