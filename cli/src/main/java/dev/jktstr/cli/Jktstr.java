package dev.jktstr.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jktstr} command: each subcommand is its own class, registered here. */
@Command(
        name = "jktstr",
        mixinStandardHelpOptions = true,
        version = "jktstr 0.1.0",
        description = "Boot Linux kernels in VMs with an exact CPU topology and test schedulers in them.",
        subcommands = {
            DoctorCommand.class,
            KernelCommand.class,
            BootCommand.class,
            ShellCommand.class,
            BtfCommand.class,
            AcpiCommand.class,
            CpuidCommand.class,
            TopoCommand.class,
            RunCommand.class,
            GauntletCommand.class,
            NestedKvmCommand.class,
            StatsCommand.class,
            ReportCommand.class,
            PerfDeltaCommand.class,
            VerifierCommand.class,
            InspectCommand.class,
            DumpCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Jktstr implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line with the error handling every subcommand shares. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Jktstr());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
