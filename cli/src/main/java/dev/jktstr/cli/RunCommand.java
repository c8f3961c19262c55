package dev.jktstr.cli;

import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.ExpectedSchedulerError;
import dev.jktstr.scenario.FailureEvidence;
import dev.jktstr.scenario.SchedulerWatchdog;
import dev.jktstr.machine.GuestText;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.MapWatch;
import dev.jktstr.scenario.MapWatchCheck;
import dev.jktstr.scenario.Outcome;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.Scenario;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.SchedulerFailedException;
import dev.jktstr.scenario.Step;
import dev.jktstr.scenario.Vm;
import dev.jktstr.scenario.WorkTypeCatalog;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.Topology;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jktstr run SCENARIO}: boots a guest, runs a canned scenario under a scheduler, prints the verdict. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a scenario in a guest and print its verdict. Exit code: 0 pass, 1 fail (a scheduler that"
                + " fails to attach or exits with an error too), 3 inconclusive, 4 skip, 2 invalid input.")
public final class RunCommand implements Callable<Integer> {

    @Parameters(paramLabel = "SCENARIO", arity = "0..1", description = "A canned scenario: ${COMPLETION-CANDIDATES}.",
            completionCandidates = ScenarioNames.class)
    String scenario;

    @Option(names = "--list-work-types", description = "List every work type a scenario can give its workers, one line"
            + " each, and exit.")
    boolean listWorkTypes;

    @Mixin
    MachineOptions machine;

    @Option(names = "--scheduler", paramLabel = "eevdf|PATH|NAME", defaultValue = "eevdf",
            description = "eevdf (default), a static sched_ext scheduler binary to run in the guest, or the name of"
                    + " one built with the kernel by `jktstr kernel build` (scx_simple, scx_qmap).")
    String scheduler;

    @Option(names = "--scheduler-arg", paramLabel = "ARG",
            description = "An argument for the sched_ext scheduler (repeat for more; --scheduler-arg=-e for one that"
                    + " starts with '-').")
    java.util.List<String> schedulerArgs = new java.util.ArrayList<>();

    @Option(names = "--expect-scheduler-error", paramLabel = "TEXT",
            description = "The run passes only if the scheduler fails with an error containing TEXT (in the kernel's"
                    + " sched_ext messages or the scheduler's output): for testing a scheduler's error path.")
    String expectSchedulerError;

    @Option(names = "--expect-scheduler-error-regex", paramLabel = "REGEX",
            description = "As --expect-scheduler-error, with a regular expression found in the error text.")
    String expectSchedulerErrorRegex;

    @Option(names = "--watchdog", paramLabel = "TIME",
            description = "Override the sched_ext watchdog timeout of the scheduler under test (100ms to 30s), so a"
                    + " stall ejects it that much sooner (written into the guest kernel's scx_watchdog_timeout).")
    String watchdog;

    @Option(names = "--watch", paramLabel = "MAP[KEY][.FIELD]",
            description = "Follow a BPF map value of the scheduler through the run (repeat for more): stats[1],"
                    + " scx_qmap.bss[0].nr_enqueued. The result file holds it as a series; one the scheduler's BPF"
                    + " object does not declare is refused before boot, naming the nearest it does.")
    List<String> watches = new java.util.ArrayList<>();

    @Option(names = "--duration", paramLabel = "TIME", defaultValue = "10s",
            description = "Run time, e.g. 10s, 500ms, 2m (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--output", paramLabel = "FILE",
            description = "Result file (default: jktstr-results/<scenario>-<scheduler>-<time>.json).")
    Path output;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static final class ScenarioNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Scenarios.canned().keySet().iterator();
        }
    }

    /** eevdf, a binary's path, or the name of a scheduler built with {@code kernel} ({@code jktstr kernel build}). */
    private Scheduler scheduler(java.util.function.Supplier<KernelImage> kernel) {
        return SchedulerChoice.resolve(scheduler, schedulerArgs, kernel);
    }

    /** The expected scheduler error the options give, or null; both at once is refused. */
    private ExpectedSchedulerError expectedError() {
        if (expectSchedulerError != null && expectSchedulerErrorRegex != null) {
            throw new InvalidScenarioException("--expect-scheduler-error",
                    "give --expect-scheduler-error or --expect-scheduler-error-regex, not both");
        }
        if (expectSchedulerError != null) {
            return ExpectedSchedulerError.containing(expectSchedulerError);
        }
        return expectSchedulerErrorRegex == null ? null : ExpectedSchedulerError.matching(expectSchedulerErrorRegex);
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (listWorkTypes) {
            PrintWriter out = spec.commandLine().getOut();
            List<WorkTypeCatalog.Entry> all = WorkTypeCatalog.all();
            int width = all.stream().mapToInt(e -> e.name().length()).max().orElse(0);
            all.forEach(e -> out.printf("%-" + width + "s  %s%n", e.name(), e.description()));
            out.flush();
            return 0;
        }
        if (scenario == null) {
            throw new InvalidScenarioException("SCENARIO", "missing: name a canned scenario (" + String.join(", ",
                    Scenarios.canned().keySet()) + "), or --list-work-types");
        }
        Scenario s = Scenarios.byName(scenario);
        Topology topology;
        try {
            topology = Topology.parse(machine.topology);
        } catch (RuntimeException e) {
            throw new InvalidScenarioException("--topology", e.getMessage());
        }
        List<Step> steps = s.stepsFor(topology); // rejects a bad scenario before anything boots
        List<MapWatch> mapWatches = watches.stream().map(MapWatch::parse).toList();
        ExpectedSchedulerError expected = expectedError();
        if (watchdog != null) {
            SchedulerWatchdog.checked(parseDuration(watchdog, "--watchdog")); // refused before anything boots
            if (scheduler.equalsIgnoreCase("eevdf")) {
                throw new InvalidScenarioException("--watchdog", "EEVDF has no sched_ext watchdog; give --scheduler");
            }
        }
        Vm.Builder vb = Vm.builder().topology(topology).memoryMib(machine.memoryPerNodeMib())
                .duration(parseDuration(duration)).commandLine(machine.cmdline).bootTimeout(machine.readyTimeout())
                .snapshot(machine.snapshots() != null);
        machine.includes().forEach(i -> vb.include(i.host(), i.guestPath()));
        if (machine.backend != null && !machine.backend.isEmpty()) {
            vb.backend(machine.backend);
        }
        if (expected != null && scheduler.equalsIgnoreCase("eevdf")) {
            throw new InvalidScenarioException("--expect-scheduler-error", "EEVDF cannot fail with a sched_ext error;"
                    + " give --scheduler");
        }
        // EEVDF or a scheduler given by path is checked (arguments, static x86-64 ELF, the watches against the BPF
        // object it embeds) before any kernel is looked up; a name needs the kernel it was built with.
        boolean byPath = scheduler.equalsIgnoreCase("eevdf") || scheduler.contains("/")
                || Files.exists(Path.of(scheduler));
        if (byPath) {
            MapWatchCheck.check(mapWatches, vb.scheduler(scheduler(() -> null)).build().scheduler(), steps);
        }
        // Every kernel resolves before the first boots: a bad id in the list fails now, not after a run.
        List<KernelImage> kernels = machine.kernelImages();
        // So is the scheduler name with each kernel (the second kernel may lack the scheduler the first has), and the
        // watches with the binary it names.
        List<Vm> vms = kernels.stream().map(k -> vb.kernel(k.image()).scheduler(scheduler(() -> k)).build()).toList();
        if (!byPath) {
            vms.forEach(vm -> MapWatchCheck.check(mapWatches, vm.scheduler(), steps));
        }
        KernelRuns runs = new KernelRuns(kernels.size() > 1);
        for (int i = 0; i < kernels.size(); i++) {
            KernelImage kernel = kernels.get(i);
            if (kernels.size() > 1) {
                err.printf("kernel %d of %d: %s (config %s)%n", i + 1, kernels.size(), kernel.origin(),
                        kernel.configHash().orElse("unknown"));
            }
            runs.add(kernel, runOne(s, vms.get(i), kernel, expected, mapWatches, runs));
        }
        runs.printSummary(spec.commandLine().getOut());
        return runs.worst().exitCode();
    }

    /** One boot and run on one kernel: prints its verdict and writes its result file. */
    private Outcome runOne(Scenario s, Vm vm, KernelImage kernel, ExpectedSchedulerError expected,
            List<MapWatch> watches, KernelRuns runs) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        err.printf("booting %s (%s) ...%n", vm.topology(), vm.scheduler().name());
        err.flush();
        RunResult r;
        FailureEvidence evidence;
        try (Ctx ctx = vm.boot()) {
            err.printf("booted Linux %s on %s in %d ms%s; running %s for %s%n", ctx.kernelRelease(),
                    ctx.machine().backendName(), ctx.bootTime().toMillis(), ctx.fromSnapshot() ? " (from a snapshot)" : "", s.name(),
                    String.format(Locale.ROOT, "%.1f s", vm.duration().toMillis() / 1e3));
            ProgressLine line = ProgressLine.forStderr(err);
            ctx.onProgress(line::accept);
            ctx.expectSchedulerError(expected).watch(watches.toArray(MapWatch[]::new));
            if (watchdog != null) {
                ctx.schedulerWatchdog(parseDuration(watchdog, "--watchdog"));
            }
            try {
                r = Scenarios.run(ctx, s);
                evidence = ctx.lastFailureEvidence();
            } finally {
                line.finish();
            }
        } catch (SchedulerFailedException e) {
            // the scheduler under test failed (did not attach, exited): a test result, not invalid input
            out.println("verdict: " + Outcome.FAIL + " — scheduler " + e.scheduler() + " " + GuestText.line(e.reason(), 4000));
            if (!e.output().isEmpty()) {
                out.println("its output (the end):");
                // indented: no line of the scheduler's can pass for one of ours
                GuestText.lines(e.output()).lines().forEach(l -> out.println("  " + l));
            }
            out.println("result: none (the scenario did not run)");
            out.flush();
            return Outcome.FAIL;
        }
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path file = runs.resultFile(output, s.name() + "-" + r.scheduler(), time, r.kernelRelease(), kernel);
        r.write(file);
        if (evidence != null) {
            out.print(evidence.bugSummary(evidence.write(file)));
        }
        out.print(r.verdict().table());
        out.println("result: " + file.toAbsolutePath());
        out.flush();
        runs.recordFile(file);
        return r.outcome();
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m)?");

    static Duration parseDuration(String text) {
        return parseDuration(text, "--duration");
    }

    /** A duration option's value ({@code 10s}, {@code 500ms}, {@code 2m}); for the watchdog also in its range. */
    static Duration parseDuration(String text, String option) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new InvalidScenarioException(option, "'" + text + "' is not a positive duration like 10s, 500ms or 2m");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long ms = (long) (v * switch (unit) {
            case "ms" -> 1;
            case "m" -> 60_000;
            default -> 1000;
        });
        if (ms <= 0) {
            throw new InvalidScenarioException(option, "must be positive, got " + text);
        }
        return Duration.ofMillis(ms);
    }
}
