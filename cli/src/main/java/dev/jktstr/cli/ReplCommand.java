package dev.jktstr.cli;

import dev.jktstr.machine.Topology;
import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Vm;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jdk.jshell.tool.JavaShellToolBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jktstr repl}: JShell with the SDK on its class path and the API imported, optionally with a booted guest
 * bound to {@code g}. JShell runs in this JVM (the "local" execution engine), so the guest it pokes is the one this
 * command booted and closes when JShell exits — no second JVM that could die and leave QEMU behind — and native
 * access is the launcher's own. Completion works on our types because the compiler sees the same class path.
 */
@Command(name = "repl", mixinStandardHelpOptions = true,
        description = {"JShell with the jktstr API imported. With --topology, --scheduler, --kernel or --boot it first"
                + " boots a guest and binds it to g (a Ctx); closing JShell (/exit, Ctrl-D) powers it off.",
                "Helpers: snap() (a snapshot of the guest kernel), rq(cpu) (a runqueue: rq(0).nrRunning()),"
                + " map(name) (a BPF map with its entries), maps() (their names), run(scenario) (Scenarios.run(g, ..)),"
                + " sh(command) (a busybox command in the guest, its output), show(map(name)) (its entries one a line)."})
final class ReplCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    MachineOptions machine;

    @Option(names = "--scheduler", paramLabel = "eevdf|PATH|NAME",
            description = "Boot a guest under this scheduler: eevdf, a static sched_ext binary, or the name of one built"
                    + " with the kernel.")
    String scheduler;

    @Option(names = "--scheduler-arg", paramLabel = "ARG", description = "An argument for the sched_ext scheduler (repeat for more).")
    List<String> schedulerArgs = new ArrayList<>();

    @Option(names = "--boot", description = "Boot a guest with the default machine options (1,1,2,1, EEVDF).")
    boolean boot;

    /** The startup snippet: imports, {@code g} and the helpers (a resource, so it reads as JShell code). */
    static final String STARTUP = "repl-startup.jsh";

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Vm vm = wantsGuest() ? vm() : null; // bad options are refused before anything boots
        Path startup = startupFile();
        try {
            if (vm == null) {
                return shell(startup, err);
            }
            err.printf("booting %s (%s) ...%n", vm.topology(), vm.scheduler().name());
            err.flush();
            try (Ctx g = vm.boot()) {
                ReplGuest.bind(g);
                err.printf("g: Linux %s on %s, %s, %s (booted in %d ms); try rq(0).nrRunning(), maps(), snap()%n",
                        g.kernelRelease(), g.machine().backendName(), g.topology(), g.scheduler().name(),
                        g.bootTime().toMillis());
                err.flush();
                return shell(startup, err);
            } finally {
                ReplGuest.unbind();
                err.println("repl: guest powered off");
                err.flush();
            }
        } finally {
            Files.deleteIfExists(startup);
        }
    }

    private boolean wantsGuest() {
        var parsed = spec.commandLine().getParseResult();
        return boot || scheduler != null || parsed.hasMatchedOption("--topology") || parsed.hasMatchedOption("--kernel")
                || parsed.hasMatchedOption("--backend") || parsed.hasMatchedOption("--memory");
    }

    private Vm vm() {
        Topology topology;
        try {
            topology = Topology.parse(machine.topology);
        } catch (RuntimeException e) {
            throw new InvalidScenarioException("--topology", e.getMessage());
        }
        Vm.Builder vb = Vm.builder().topology(topology).memoryMib(machine.memoryPerNodeMib())
                .scheduler(SchedulerChoice.resolve(scheduler == null ? "eevdf" : scheduler, schedulerArgs, machine::kernelImage))
                .commandLine(machine.cmdline).bootTimeout(machine.readyTimeout());
        machine.includes().forEach(i -> vb.include(i.host(), i.guestPath()));
        if (machine.backend != null && !machine.backend.isEmpty()) {
            vb.backend(machine.backend);
        }
        vb.build(); // a bad scheduler binary is refused before any kernel is looked up
        if (!machine.kernels.isEmpty()) {
            vb.kernel(machine.kernelImage().image()); // one kernel; any --kernel form (path, cache key, debian:, git:)
        }
        return vb.build();
    }

    /** Runs JShell on this process's standard streams until it exits; its exit status is ours. */
    private static int shell(Path startup, PrintWriter err) {
        String classPath = System.getProperty("java.class.path");
        try {
            return JavaShellToolBuilder.builder().start("--execution", "local", "--class-path", classPath,
                    "--startup", "DEFAULT", "--startup", startup.toString());
        } catch (Exception e) {
            throw new IllegalStateException("JShell failed: " + e.getMessage(), e);
        }
    }

    /** The startup snippet in a private temporary file (JShell reads startup scripts from files); deleted after. */
    static Path startupFile() throws IOException {
        Path file = Files.createTempFile("jktstr-repl-", ".jsh",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (InputStream in = ReplCommand.class.getResourceAsStream(STARTUP)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("resource " + STARTUP + " missing from the jar"));
            }
            Files.write(file, in.readAllBytes());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return file;
    }
}
