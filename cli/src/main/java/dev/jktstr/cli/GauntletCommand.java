package dev.jktstr.cli;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.machine.GuestText;
import dev.jktstr.machine.Topology;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.gauntlet.Gauntlet;
import dev.jktstr.scenario.gauntlet.GauntletResult;
import dev.jktstr.scenario.gauntlet.Shard;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jktstr gauntlet}: scenarios × presets × schedulers × kernels, each in its own VM, several at once within a
 * CPU and memory budget; an index and a result file per run in the output directory, a summary table, the exit code
 * of the worst outcome. Ctrl-C closes the running VMs and writes the partial index.
 */
@Command(name = "gauntlet", mixinStandardHelpOptions = true,
        description = {"Run scenarios across topology presets, schedulers and kernels, each combination in its own VM,"
                + " as many at once as the host's cores and memory allow.",
                "Writes OUTPUT/index.json and OUTPUT/runs/*.json. Exit code: 0 all passed (skips aside), 1 a run failed"
                        + " or errored, 3 inconclusive, 4 only skips, 2 invalid input."})
public final class GauntletCommand implements Callable<Integer> {

    @Option(names = "--scenarios", paramLabel = "NAME[,NAME...]", split = ",", hideParamSyntax = true, defaultValue = "steady",
            description = "Canned scenarios (default: ${DEFAULT-VALUE}); jktstr run --help lists them.")
    List<String> scenarios;

    @Option(names = "--presets", paramLabel = "NAME[,NAME...]", split = ",", hideParamSyntax = true,
            description = "Topology presets (jktstr topo lists them).")
    List<String> presets = new ArrayList<>();

    @Option(names = "--topology", paramLabel = "N,L,C,T",
            description = "A topology that is not a preset (repeat for more).")
    List<String> topologies = new ArrayList<>();

    @Option(names = "--scheduler", paramLabel = "eevdf|PATH|NAME",
            description = "A scheduler column: eevdf, a static sched_ext binary, or one built with the kernel (repeat"
                    + " for more; default eevdf).")
    List<String> schedulers = new ArrayList<>();

    @Option(names = "--kernel", paramLabel = "DIR|IMAGE",
            description = "A kernel (repeat for more). Default: JKTSTR_KERNEL, the kernel cache, ./linux, ../linux, /boot.")
    List<String> kernels = new ArrayList<>();

    @Option(names = "--duration", paramLabel = "TIME", defaultValue = "5s",
            description = "Run time of each scenario (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--memory", paramLabel = "MIB",
            description = "Guest RAM per NUMA node for every VM (default: each preset's share).")
    Long memoryPerNodeMib;

    @Option(names = "--backend", paramLabel = "qemu|kvm", description = "Machine backend (default: the fastest here).")
    String backend;

    @Option(names = "--cmdline", paramLabel = "ARGS", defaultValue = "quiet",
            description = "Extra kernel command line (default: ${DEFAULT-VALUE}).")
    String cmdline;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "How long each guest may take to boot to its agent (default: ${DEFAULT-VALUE}; boots are slower"
                    + " side by side).")
    long timeoutSeconds;

    @Option(names = "--snapshot", negatable = true,
            description = "Start each VM from a snapshot of its topology and memory in ~/.cache/jktstr/snapshots (the"
                    + " first of each boots cold and saves it); --no-snapshot boots every VM cold. Default: off unless"
                    + " JKTSTR_SNAPSHOT=1.")
    Boolean snapshot;

    @Option(names = "--shard", paramLabel = "I/N", description = "Run only shard I of N (1-based), split by expected"
            + " cost the same way on every machine; merge with jktstr stats merge.")
    String shard;

    @Option(names = "--vcpus", paramLabel = "N", description = "vCPU budget of the VMs running at once (default: the"
            + " host's cores, or the largest VM's vCPUs when more, and at least 2 VMs at once whatever their vCPUs; given,"
            + " no such floor).")
    Integer vcpus;

    @Option(names = "--memory-budget", paramLabel = "MIB", description = "Memory budget of the VMs running at once"
            + " (default: MemAvailable less 10%%, at least 1 GiB).")
    Long memoryBudget;

    @Option(names = "--max-vms", paramLabel = "N", description = "At most N VMs at once (1: one after another).")
    Integer maxVms;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR",
            description = "Results directory (default: jktstr-results/gauntlet-<time>).")
    Path output;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Gauntlet.Builder b = Gauntlet.builder();
        b.scenarios(scenarios.stream().map(String::strip).filter(s -> !s.isEmpty()).toArray(String[]::new));
        b.presets(presets.stream().map(String::strip).filter(s -> !s.isEmpty()).toArray(String[]::new));
        for (String t : topologies) {
            try {
                b.topology(Topology.parse(t));
            } catch (RuntimeException e) {
                throw new InvalidScenarioException("--topology", e.getMessage());
            }
        }
        Duration d = RunCommand.parseDuration(duration);
        Shard sh = shard == null ? null : Shard.parse(shard);
        if (timeoutSeconds < 1) {
            throw new InvalidScenarioException("--timeout", "must be at least 1 second, got " + timeoutSeconds);
        }
        List<KernelImage> images = new ArrayList<>();
        for (String k : kernels) {
            try {
                images.add(KernelLookup.resolve(k));
            } catch (RuntimeException e) {
                throw new InvalidScenarioException("--kernel", e.getMessage());
            }
            b.kernel(Path.of(k));
        }
        for (String s : schedulers.isEmpty() ? List.of("eevdf") : schedulers) {
            b.schedulers(scheduler(s, images));
        }
        b.duration(d).shard(sh).backend(backend).commandLine(cmdline).bootTimeout(Duration.ofSeconds(timeoutSeconds));
        if (snapshot != null) {
            b.snapshot(snapshot);
        }
        if (memoryPerNodeMib != null) {
            b.memoryPerNodeMib(memoryPerNodeMib);
        }
        if (vcpus != null) {
            b.vcpuBudget(vcpus);
        }
        if (memoryBudget != null) {
            b.memoryBudget(memoryBudget);
        }
        if (maxVms != null) {
            b.maxVms(maxVms);
        }
        Path dir = output != null ? output : Path.of("jktstr-results", "gauntlet-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.isRegularFile(dir)) {
            throw new InvalidScenarioException("--output", dir + " is a file, not a directory");
        }
        b.resultsDir(dir);
        GauntletResult result;
        try (GauntletProgress progress = GauntletProgress.forStderr(err)) {
            Gauntlet g = b.listener(progress).build();
            // Ctrl-C (SIGINT/SIGTERM run the JVM's shutdown hooks): close the running VMs, keep the partial index.
            Thread hook = Thread.ofPlatform().name("gauntlet-shutdown").unstarted(() -> {
                g.cancel();
                try {
                    if (g.awaitDone(Duration.ofSeconds(60))) {
                        // the main thread may not get to print before the JVM halts: say where the results are
                        err.println("jktstr gauntlet: cancelled; the index of what ran: "
                                + g.resultsDir().resolve("index.json").toAbsolutePath());
                        err.flush();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                result = g.run();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it waits for this run to finish
                }
            }
        }
        out.print(GauntletSummary.table(result.index()));
        if (result.cancelled()) {
            out.println("cancelled: " + result.notRun() + " combination(s) not run");
        }
        out.println("index: " + result.indexFile().toAbsolutePath());
        out.flush();
        return result.exitCode();
    }

    /** eevdf, a binary's path, or the name of a scheduler built with the (first) kernel. */
    private static Scheduler scheduler(String s, List<KernelImage> images) {
        String name = s.strip();
        if (name.equalsIgnoreCase("eevdf") || name.equalsIgnoreCase("none")) {
            return Scheduler.eevdf();
        }
        if (name.contains("/") || Files.exists(Path.of(name))) {
            return Scheduler.binary(Path.of(name));
        }
        KernelImage k;
        try {
            k = images.isEmpty() ? KernelLookup.standard().find() : images.get(0);
            return Scheduler.binary(k.scheduler(name));
        } catch (RuntimeException e) {
            throw new InvalidScenarioException("--scheduler", GuestText.line(String.valueOf(e.getMessage()), 2000));
        }
    }
}
