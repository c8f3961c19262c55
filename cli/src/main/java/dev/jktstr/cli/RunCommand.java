package dev.jktstr.cli;

import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.ExpectedSchedulerError;
import dev.jktstr.scenario.FailureEvidence;
import dev.jktstr.machine.GuestText;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Outcome;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.Scenario;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.SchedulerFailedException;
import dev.jktstr.scenario.Vm;
import dev.jktstr.machine.Topology;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
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

    @Parameters(paramLabel = "SCENARIO", description = "A canned scenario: ${COMPLETION-CANDIDATES}.",
            completionCandidates = ScenarioNames.class)
    String scenario;

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

    private Scheduler scheduler() {
        return SchedulerChoice.resolve(scheduler, schedulerArgs, machine);
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
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Scenario s = Scenarios.byName(scenario);
        Topology topology;
        try {
            topology = Topology.parse(machine.topology);
        } catch (RuntimeException e) {
            throw new InvalidScenarioException("--topology", e.getMessage());
        }
        s.stepsFor(topology); // rejects a bad scenario before anything boots
        ExpectedSchedulerError expected = expectedError();
        Vm.Builder vb = Vm.builder().topology(topology).memoryMib(machine.memoryPerNodeMib()).scheduler(scheduler())
                .duration(parseDuration(duration)).commandLine(machine.cmdline).bootTimeout(machine.readyTimeout());
        if (machine.kernel != null && !machine.kernel.isEmpty()) {
            vb.kernel(Path.of(machine.kernel));
        }
        if (machine.backend != null && !machine.backend.isEmpty()) {
            vb.backend(machine.backend);
        }
        Vm vm = vb.build();
        if (expected != null && !(vm.scheduler() instanceof Scheduler.Binary)) {
            throw new InvalidScenarioException("--expect-scheduler-error", "EEVDF cannot fail with a sched_ext error;"
                    + " give --scheduler");
        }
        err.printf("booting %s (%s) ...%n", topology, vm.scheduler().name());
        err.flush();
        RunResult r;
        FailureEvidence evidence;
        try (Ctx ctx = vm.boot()) {
            err.printf("booted Linux %s on %s in %d ms; running %s for %s%n", ctx.kernelRelease(), ctx.machine().backendName(),
                    ctx.bootTime().toMillis(), s.name(), String.format(Locale.ROOT, "%.1f s", vm.duration().toMillis() / 1e3));
            ProgressLine line = ProgressLine.forStderr(err);
            ctx.onProgress(line::accept);
            ctx.expectSchedulerError(expected);
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
            return Outcome.FAIL.exitCode();
        }
        Path file = output != null ? output : Path.of("jktstr-results", s.name() + "-" + r.scheduler() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
        r.write(file);
        if (evidence != null) {
            out.print(evidence.bugSummary(evidence.write(file)));
        }
        out.print(r.verdict().table());
        out.println("result: " + file.toAbsolutePath());
        out.flush();
        return r.outcome().exitCode();
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m)?");

    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new InvalidScenarioException("--duration", "'" + text + "' is not a positive duration like 10s, 500ms or 2m");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long ms = (long) (v * switch (unit) {
            case "ms" -> 1;
            case "m" -> 60_000;
            default -> 1000;
        });
        if (ms <= 0) {
            throw new InvalidScenarioException("--duration", "must be positive, got " + text);
        }
        return Duration.ofMillis(ms);
    }
}
