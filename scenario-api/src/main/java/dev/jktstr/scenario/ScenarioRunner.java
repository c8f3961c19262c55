package dev.jktstr.scenario;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs one validated scenario in a {@link Ctx}: step by step, applies the step's ops ({@link OpInterpreter}) and holds
 * (a loop hold re-applies them every interval), reporting progress with {@link LiveTelemetry} every {@link #TICK};
 * samples the guest kernel while holding ({@link RunMonitor}) and tracks the CPUs the workers used per hold
 * ({@link StepIsolationTracker}); then kills the payloads still running ({@link RunPayloads}), stops every worker,
 * removes every cgroup, and judges the run against the thresholds of every scheduler that was in charge.
 */
final class ScenarioRunner {
    /** How often holds report progress. */
    private static final Duration TICK = Duration.ofMillis(250);

    private final Ctx ctx;
    private final List<Step> steps;
    private final Instant started;
    private final RunRecord record;
    private final HostTimeline host; // what the host gave each vCPU over the run
    private final HostFacts hostFacts; // cores, load, backend when the run started
    private final HostInterference.CpuTimes hostCpuAtStart;
    private final RunCgroups cgroups;
    private final RunMonitor monitor;
    private final StepIsolationTracker isolation;
    private final LiveTelemetryReader telemetry;
    private final OpInterpreter ops;
    private final RunPayloads payloads;

    /** Runs {@code steps} (validated against the context's topology already) as the run {@code name}. */
    static RunResult run(Ctx ctx, String name, List<Step> steps) {
        // Replacement schedulers and payload binaries go into the guest before the clock starts: the swap itself is
        // stop and start, a payload's start only its start.
        Step.replacementSchedulers(steps).forEach(ctx::installScheduler);
        RunPayloads.install(ctx, steps);
        return new ScenarioRunner(ctx, steps).run(name);
    }

    private ScenarioRunner(Ctx ctx, List<Step> steps) {
        this.ctx = ctx;
        this.steps = steps;
        this.started = Instant.now();
        this.record = new RunRecord(ctx, System.nanoTime());
        this.hostFacts = HostFacts.now(ctx.machine().backendName());
        this.hostCpuAtStart = HostInterference.CpuTimes.now();
        this.host = HostTimeline.start(ctx.machine(), ctx.topology().cpuCount());
        this.cgroups = new RunCgroups(ctx, host);
        this.monitor = new RunMonitor(ctx, record);
        this.isolation = new StepIsolationTracker(ctx, cgroups, record);
        this.telemetry = new LiveTelemetryReader(ctx, cgroups, monitor, record);
        this.payloads = new RunPayloads(ctx, record);
        this.ops = new OpInterpreter(ctx, cgroups, monitor, record, payloads);
    }

    private RunResult run(String name) {
        String startScheduler = ctx.currentScheduler().name();
        record.opsName = ctx.currentScheduler() instanceof Scheduler.Binary ? ctx.opsName() : "";
        record.schedulersRan.add(startScheduler);
        Duration total = steps.stream().map(s -> s.hold().of(ctx.duration())).reduce(Duration.ZERO, Duration::plus);
        if (ctx.schedulerWatchdog() != null && ctx.currentScheduler() instanceof Scheduler.Binary) {
            record.note(SchedulerWatchdog.apply(ctx, ctx.schedulerWatchdog()));
        }
        monitor.start();
        ctx.lastFailureEvidence(null);
        FlightRecorder recorder = FlightRecorder.start(ctx, ctx.flightRecorderWindow(), record.t0);
        try {
            return runSteps(name, startScheduler, total, recorder);
        } finally {
            recorder.close();
        }
    }

    /** The steps, the cleanup and the verdict; the failure evidence while the guest still runs. */
    private RunResult runSteps(String name, String startScheduler, Duration total, FlightRecorder recorder) {
        try {
            for (int i = 0; i < steps.size(); i++) {
                runStep(i, total);
            }
        } finally {
            monitor.stop(); // before the workers: no sample sees them go
            recorder.close(); // its ring and watches stay readable
            try {
                payloads.finish(); // before the cgroups: a cgroup with a payload in it cannot be removed
            } catch (RuntimeException e) {
                record.opFailed("ending the run's payloads: " + e.getMessage());
            }
            // children before parents: a cgroup with children cannot be removed
            for (String n : cgroups.namesNewestFirst()) {
                try {
                    ops.remove(n);
                } catch (RuntimeException e) {
                    // keep the first failure; cleanup is best effort
                }
            }
            host.close();
        }
        HostInterference interference = new HostInterference(host.heldShare(record.t0, System.nanoTime()),
                HostInterference.CpuTimes.now().stealShareSince(hostCpuAtStart));
        List<CgroupStats> stats = List.copyOf(cgroups.finished());
        ThresholdLayers layers = ctx.thresholdLayers(record.schedulersRan);
        Assert thresholds = layers.effective();
        Verdict verdict = thresholds.check(stats);
        isolation.judge(verdict, thresholds, stats);
        MonitorSummary summary = monitor.summarize(host);
        thresholds.check(verdict, summary);
        record.notes.forEach(verdict::note);
        payloads.judge(verdict);
        record.judgeOpFailures(verdict);
        if (record.schedulersRan.size() > 1) {
            verdict.note("schedulers by step: " + String.join(", ", record.heldUnder));
        }
        verdict.note(summary.describe());
        verdict.note(hostNote());
        recorder.unreadWatches().forEach((watch, why) -> verdict.fail("watch " + watch + ": " + why));
        String state = ctx.schedExtState();
        Optional<String> exit = Optional.empty();
        ExpectedSchedulerError expected = ctx.expectedSchedulerError();
        if (ctx.currentScheduler() instanceof Scheduler.Binary b && !state.equals("enabled")) {
            exit = ctx.schedulerExitReason();
            String log = ctx.schedulerLog().strip(); // guest text: Verdict cleans what it is given
            String detached = "scheduler " + b.name() + " is no longer attached (sched_ext state '" + state + "')"
                    + exit.map(r -> ": " + r).orElse("") + (log.isEmpty() ? "" : "; its output: "
                    + (log.length() > 500 ? "…" + log.substring(log.length() - 500) : log));
            if (expected == null) {
                verdict.fail(detached);
            } else if (expected.metBy(ctx.schedulerErrorText())) {
                verdict.note("expected: " + expected + " — " + detached);
            } else {
                verdict.fail("expected " + expected + ", but it failed otherwise: " + detached);
            }
        } else if (expected != null) {
            verdict.fail("expected " + expected + ", but " + (ctx.currentScheduler() instanceof Scheduler.Binary b
                    ? "scheduler " + b.name() + " stayed attached to the end" : "no sched_ext scheduler ran"));
        }
        RunResult result = new RunResult(name, started, record.elapsed(), total, ctx.kernelRelease(),
                ctx.kernel().image().toString(), ctx.topology(), ctx.machine().backendName(), startScheduler, state, exit,
                stats, verdict, summary, record.schedulersRan, record.timeline, layers, steps, hostFacts.with(interference),
                new RunSeries(monitor.series(), record.progressSeries(), recorder.watches()), payloads.results());
        if (result.outcome() == Outcome.FAIL || result.outcome() == Outcome.INCONCLUSIVE) {
            ctx.lastFailureEvidence(FailureEvidence.collect(ctx, result, recorder));
        }
        return result;
    }

    private void runStep(int i, Duration total) {
        Step s = steps.get(i);
        record.step = i + 1;
        record.event(TimelineEvent.STEP, "");
        s.ops().forEach(ops::apply);
        record.heldUnder.add("step " + record.step + " " + ctx.currentScheduler().name()
                + (record.opsName.isEmpty() ? "" : " (" + record.opsName + ")"));
        if (s.hold() instanceof HoldSpec.Loop loop) {
            long end = System.nanoTime() + loop.of(ctx.duration()).toNanos();
            for (;;) {
                long left = end - System.nanoTime();
                hold(i, Duration.ofNanos(Math.max(0, Math.min(left, loop.interval().toNanos()))), total);
                if (end - System.nanoTime() <= 0) {
                    break;
                }
                s.ops().forEach(ops::apply);
            }
        } else {
            hold(i, s.hold().of(ctx.duration()), total);
        }
    }

    private void hold(int stepIndex, Duration d, Duration total) {
        isolation.holdStarts();
        long end = System.nanoTime() + d.toNanos();
        monitor.holding(true);
        for (;;) {
            LiveTelemetry live = telemetry.now();
            ctx.reportProgress(new Ctx.Progress(stepIndex + 1, steps.size(), record.elapsed(), total, live));
            long left = end - System.nanoTime();
            if (left <= 0) {
                monitor.holding(false);
                isolation.holdEnds();
                return;
            }
            try {
                Thread.sleep(Duration.ofNanos(Math.min(left, TICK.toNanos())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ScenarioException("interrupted while holding step " + (stepIndex + 1));
            }
        }
    }

    /** What the host gave each vCPU over the whole run, one line. */
    private String hostNote() {
        if (!host.available()) {
            return "host: no vCPU host times from backend " + ctx.machine().backendName()
                    + " (rq clock stalls and gaps are all judged as the guest's)";
        }
        long end = System.nanoTime();
        List<String> parts = new ArrayList<>();
        for (int cpu = 0; cpu < ctx.topology().cpuCount(); cpu++) {
            int c = cpu;
            host.share(cpu, record.t0, end).ifPresent(h -> parts.add("vCPU " + c + " " + h.describe()));
        }
        return "host: " + (parts.isEmpty() ? "no readings" : String.join("; ", parts));
    }
}
