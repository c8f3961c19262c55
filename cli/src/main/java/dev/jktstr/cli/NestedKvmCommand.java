package dev.jktstr.cli;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jktstr nested-kvm -- CMD}: run a command where /dev/kvm is real KVM, nested under QEMU's TCG if need be. */
@Command(name = "nested-kvm", mixinStandardHelpOptions = true,
        description = {"Runs a shell command on a machine with real KVM: here if this host has hardware KVM,",
                "else in the proving ground — an L1 Linux under QEMU's TCG (-cpu max emulates AMD SVM) that",
                "sees this host's / over 9p and has /dev/kvm. Slow (TCG underneath): for correctness only.",
                "Exit status: the command's; 2 when the proving ground cannot run here; 124 past --timeout."})
final class NestedKvmCommand implements Callable<Integer> {

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1800",
            description = "Kill L1 after this long (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(names = "--cpus", defaultValue = "1", description = {"L1's CPUs (default: ${DEFAULT-VALUE}). One is the fast and",
            "deterministic choice: with two, single-threaded TCG round-robins them and Linux inside L1 crawls."})
    int cpus;

    @Option(names = "--memory", paramLabel = "MIB", defaultValue = "6144", description = "L1's RAM (default: ${DEFAULT-VALUE}).")
    long memoryMib;

    @Option(names = "--multi-threaded-tcg", description = "Faster L1, but MTTCG has run stale JIT code (SIGILL) in L1's JVM.")
    boolean multiThreadedTcg;

    @Option(names = "--force-nested", description = "Use the proving ground even where this host has hardware KVM.")
    boolean forceNested;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command line (run by /bin/sh in the current directory).")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        String line = String.join(" ", command);
        if (!forceNested && hasHardwareKvm()) {
            System.err.println("nested-kvm: this host has hardware KVM; running the command here");
            Process p = new ProcessBuilder("/bin/sh", "-c", line).inheritIO().start();
            return p.waitFor();
        }
        try {
            return new NestedKvm(NestedKvm.defaultCache(), cpus, memoryMib, System.err).multiThreadedTcg(multiThreadedTcg)
                    .run(line, Duration.ofSeconds(timeoutSeconds), System.out);
        } catch (NestedKvm.CannotRunException e) {
            System.err.println("nested-kvm: cannot run here: " + e.getMessage());
            return NestedKvm.CANNOT_RUN;
        }
    }

    /** /dev/kvm is real KVM here: hardware, or nested under a hypervisor or an emulator (then we are in L1 already). */
    static boolean hasHardwareKvm() {
        return switch (dev.jktstr.kvm.HostVirtualization.host().kind()) {
            case HARDWARE, NESTED_UNDER_HYPERVISOR, NESTED_UNDER_EMULATOR -> true;
            default -> false;
        };
    }
}
