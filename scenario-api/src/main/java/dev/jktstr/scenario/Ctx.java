package dev.jktstr.scenario;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.guest.GuestSession;
import dev.jktstr.guest.SnapshotStore;
import dev.jktstr.introspect.Introspector;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.GuestText;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A booted guest with its scheduler running: what scenarios execute in. Closing it stops the scheduler, powers the
 * guest off and releases the machine and the image. One scenario at a time.
 */
public final class Ctx implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Ctx.class);
    /** System property naming the kernel (directory or image) when {@link Vm} names none. */
    public static final String KERNEL_PROPERTY = "jktstr.kernel";

    private final Vm vm;
    private final GuestSession session;
    private final Machine machine;
    private final AgentClient agent;
    private final GuestShell shell;
    private final GuestScheduler scheduler;
    private final KernelImage kernel;
    private final Duration bootTime;
    private volatile Consumer<Progress> progress = p -> { };
    private final List<Consumer<RunResult>> resultListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Duration duration;
    private Assert testThresholds;
    private volatile boolean monitoring = true;
    private ExpectedSchedulerError expectedSchedulerError;
    private Duration flightRecorderWindow = Duration.ofSeconds(10);
    private volatile FailureEvidence lastFailureEvidence;
    private final List<MapWatch> watches = new java.util.ArrayList<>();
    private Duration schedulerWatchdog; // null: the scheduler's own
    // Introspection is attached on first use (a run's sampler or a snapshot op) and kept for the context's life.
    private boolean introspectionTried;
    private Introspector introspector;
    private Btf btf;
    private String introspectionStatus = "off";

    /**
     * Where a run stands: step {@code step} of {@code steps}, {@code elapsed} of about {@code total}, and what the
     * workers and the monitor show now ({@link LiveTelemetry#NONE} until the first reading).
     */
    public record Progress(int step, int steps, Duration elapsed, Duration total, LiveTelemetry live) {
        public Progress {
            live = live == null ? LiveTelemetry.NONE : live;
        }

        public Progress(int step, int steps, Duration elapsed, Duration total) {
            this(step, steps, elapsed, total, LiveTelemetry.NONE);
        }
    }

    /**
     * One scheduler replaced by another ({@link #replaceScheduler}): names, the ops names the kernel reported, and
     * how long detaching (until sched_ext read disabled) and attaching (until enabled) took.
     */
    public record SchedulerSwap(String from, String fromOps, String to, String toOps, Duration detachTook,
            Duration attachTook) {}

    private ScratchDisk scratchDisk; // the I/O types' disk, when the VM has one

    private Ctx(Vm vm, KernelImage kernel, GuestSession session) {
        this.vm = vm;
        this.kernel = kernel;
        this.session = session;
        this.machine = session.machine();
        this.agent = session.agent();
        this.shell = new GuestShell(agent);
        this.scheduler = new GuestScheduler(agent, shell, vm.scheduler(), !vm.usesSnapshot());
        this.bootTime = session.bootToReady();
        this.duration = vm.duration();
        this.testThresholds = vm.thresholds();
    }

    static Ctx boot(Vm vm) {
        KernelImage kernel = vm.kernelImage(); // the property, else the standard lookup (JKTSTR_KERNEL, cache, ./linux, /boot)
        GuestImage.Builder ib = GuestImage.builder().withBusybox(true);
        // A snapshot is scheduler-less (one per configuration serves every scheduler): with snapshots the binary is
        // uploaded through the agent once the guest is up, instead of riding in the image (and in the snapshot's key).
        if (vm.scheduler() instanceof Scheduler.Binary b && !vm.usesSnapshot()) {
            ib.addBinary(b.path(), b.guestPath());
        }
        vm.includes().forEach(ib::include);
        GuestImage image = ib.build();
        GuestSession session = null;
        ScratchDisk disk = null;
        try {
            MachineSpec.Builder sb = MachineSpec.builder(kernel.image()).initramfs(image.initramfs()).topology(vm.topology())
                    .memoryPerNodeMib(vm.memoryMib()).commandLine(vm.commandLine());
            if (vm.scratchDiskMib() > 0) {
                disk = ScratchDisk.create(vm.scratchDiskMib());
                sb.addDisk(disk.path());
            }
            MachineSpec spec = sb.build();
            MachineBackend backend = vm.backend().map(MachineBackends::byName).orElseGet(() -> MachineBackends.fastestFor(spec));
            session = GuestSession.boot(backend, spec, image, vm.bootTimeout(), log::info,
                    vm.usesSnapshot() ? SnapshotStore.inUserCache() : null);
            Ctx ctx = new Ctx(vm, kernel, session);
            ctx.scratchDisk = disk;
            try {
                ctx.prepareGuest();
            } catch (GuestException e) {
                // a guest that dies here (a kernel oops while the scheduler loads) says why on its console
                throw MachineFailures.explain(session.machine(), "preparing the guest (cgroups, scheduler)", vm.bootTimeout(), e);
            }
            return ctx;
        } catch (MachineException e) {
            closeAfterFailure(session, image, disk);
            throw new ScenarioException(e.describe(), e);
        } catch (RuntimeException e) {
            closeAfterFailure(session, image, disk);
            throw e;
        }
    }

    private static void closeAfterFailure(GuestSession session, GuestImage image, ScratchDisk disk) {
        if (session != null) {
            session.close();
        } else {
            image.close(); // the session, had it been made, would own it
        }
        if (disk != null) {
            disk.close();
        }
    }

    private void prepareGuest() {
        // Children of the root get the cpuset and cpu controllers; cpuset is what isolation relies on.
        new CgroupFs(shell).enableChildControllers(CgroupFs.ROOT);
        scheduler.startBooted();
    }

    /** Whether the sched_ext scheduler should be attached now (false after a detach op, and under EEVDF). */
    boolean schedulerExpected() {
        return scheduler.expected();
    }

    /**
     * The scheduler in charge now: the sched_ext binary attached (the VM's, or the one a {@link #replaceScheduler}
     * put in), or EEVDF when none is (an EEVDF VM, or after {@link #detachScheduler()}).
     */
    public Scheduler currentScheduler() {
        return scheduler.current();
    }

    /** Stops the sched_ext scheduler with SIGINT and waits until sched_ext is disabled. */
    public void detachScheduler() {
        scheduler.detach();
    }

    /** Starts the sched_ext scheduler again (after {@link #detachScheduler}). */
    public void attachScheduler() {
        scheduler.attach();
    }

    /**
     * Replaces the attached sched_ext scheduler with {@code next}: stops the running one (SIGINT) and waits until
     * sched_ext reads {@code disabled}, then starts {@code next} and waits until it reads {@code enabled} with
     * {@code next}'s ops name in {@code root/ops} (the kernel removes that file on disable, so a name there is the
     * new scheduler's). With no scheduler attached it only attaches. {@code next} stays in charge for later runs.
     */
    public SchedulerSwap replaceScheduler(Scheduler.Binary next) {
        return scheduler.replace(next);
    }

    /**
     * Copies a scheduler binary into the guest (at {@link Scheduler.Binary#guestPath()}) unless it is there already;
     * a different file under the same name is refused (the guest finds schedulers by name).
     */
    void installScheduler(Scheduler.Binary b) {
        scheduler.install(b);
    }

    /**
     * sched_ext's ops name ({@code /sys/kernel/sched_ext/root/ops}), "" when no scheduler is attached; through
     * {@link GuestText#line} (the scheduler under test chose it).
     */
    public String opsName() {
        return scheduler.opsName();
    }

    public Topology topology() {
        return vm.topology();
    }

    /** The VM's scheduler, as booted ({@link #currentScheduler()} says which one is in charge now). */
    public Scheduler scheduler() {
        return vm.scheduler();
    }

    public Vm vm() {
        return vm;
    }

    /** The run time step holds are fractions of (the VM's, unless changed for this context). */
    public Duration duration() {
        return duration;
    }

    public Ctx duration(Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new InvalidScenarioException("duration", "must be positive, got " + d);
        }
        this.duration = d;
        return this;
    }

    /**
     * Claims that runs in this context end with the scheduler failing with a matching error ({@code null}: no such
     * claim, the default). With it, a run passes the scheduler check only when the scheduler failed that way; a
     * scheduler that stays attached, or fails with another error, fails the run.
     */
    public Ctx expectSchedulerError(ExpectedSchedulerError expected) {
        this.expectedSchedulerError = expected;
        return this;
    }

    /** The claim set by {@link #expectSchedulerError}, or {@code null}. */
    public ExpectedSchedulerError expectedSchedulerError() {
        return expectedSchedulerError;
    }

    /**
     * How much guest state before a failure the flight recorder keeps (snapshots with BPF maps, one a second; default
     * 10 s; {@link Duration#ZERO} switches it off). A failed run's {@link #lastFailureEvidence()} holds it.
     */
    public Ctx flightRecorder(Duration window) {
        if (window == null || window.isNegative()) {
            throw new InvalidScenarioException("flightRecorder", "the window must be zero (off) or positive, got " + window);
        }
        this.flightRecorderWindow = window;
        return this;
    }

    public Duration flightRecorderWindow() {
        return flightRecorderWindow;
    }

    /**
     * Follows BPF map values through the runs in this context ({@code MapWatch.parse("stats[1]")}): each run reads
     * them from guest memory four times a second and its result holds them as series ({@link RunSeries#watch}) for
     * {@link SeriesClaim}s. A watch that no scheduler of a run declares (no such map, key or field in its BPF object)
     * is refused when the run starts ({@link MapWatchCheck}); one the guest still cannot serve fails the run naming the
     * nearest names it has.
     */
    public Ctx watch(MapWatch... more) {
        for (MapWatch w : more) {
            if (!watches.contains(w)) {
                watches.add(Objects.requireNonNull(w, "watch"));
            }
        }
        return this;
    }

    /**
     * Overrides the sched_ext watchdog timeout for the scheduler in charge at the start of each run (100 ms to 30 s;
     * {@code null}: the scheduler's own): a stall is caught that much sooner. Written into the guest kernel's
     * {@code scx_watchdog_timeout}; the run's notes say the value it replaced.
     */
    public Ctx schedulerWatchdog(Duration timeout) {
        this.schedulerWatchdog = timeout == null ? null : SchedulerWatchdog.checked(timeout);
        return this;
    }

    public Duration schedulerWatchdog() {
        return schedulerWatchdog;
    }

    /** The watches set by {@link #watch}. */
    public List<MapWatch> watches() {
        return List.copyOf(watches);
    }

    /**
     * The evidence gathered when the latest run in this context ended FAIL or INCONCLUSIVE (while the guest still
     * ran), or {@code null} when it passed or none ran; write it beside the result with {@link FailureEvidence#write}.
     */
    public FailureEvidence lastFailureEvidence() {
        return lastFailureEvidence;
    }

    void lastFailureEvidence(FailureEvidence e) {
        this.lastFailureEvidence = e;
    }

    /** The thresholds the standard checks use now: defaults → the current scheduler's preset → the test's. */
    public Assert thresholds() {
        return thresholdLayers(List.of(currentScheduler().name())).effective();
    }

    /** The layers of the thresholds for runs under {@code schedulers} (their presets, {@link ThresholdPresets}). */
    public ThresholdLayers thresholdLayers(List<String> schedulers) {
        return ThresholdLayers.of(schedulers, testThresholds);
    }

    /** The test's own layer (the VM's thresholds with those given to {@link #thresholds(Assert)} on top). */
    public Assert testThresholds() {
        return testThresholds;
    }

    /** Puts a test's thresholds on top of the current ones. */
    public Ctx thresholds(Assert layer) {
        this.testThresholds = testThresholds.overlay(layer);
        return this;
    }

    public Ctx onProgress(Consumer<Progress> listener) {
        this.progress = listener == null ? p -> { } : listener;
        return this;
    }

    /** Called with every run's result in this context (the JUnit extension uses it to judge a test). */
    public Ctx onResult(Consumer<RunResult> listener) {
        resultListeners.add(listener);
        return this;
    }

    public void removeResultListener(Consumer<RunResult> listener) {
        resultListeners.remove(listener);
    }

    void reportResult(RunResult r) {
        resultListeners.forEach(l -> l.accept(r));
    }

    void reportProgress(Progress p) {
        try {
            progress.accept(p);
        } catch (RuntimeException e) {
            log.debug("progress listener failed: {}", e.toString());
        }
    }

    /** Switches the monitor (guest-memory snapshots sampled during holds, {@link MonitorCheck}s) on or off; on by default. */
    public Ctx monitoring(boolean on) {
        this.monitoring = on;
        return this;
    }

    public boolean monitoring() {
        return monitoring;
    }

    /**
     * The guest kernel read from guest memory, attached on first call when the kernel has a System.map beside
     * it; its BTF comes from the vmlinux beside it or, for a distro kernel without one, from the image itself
     * (decompressed). Empty when it has no System.map or attaching failed ({@link #introspectionStatus()} says why).
     */
    public synchronized Optional<Introspector> introspector() {
        if (!introspectionTried) {
            introspectionTried = true;
            java.nio.file.Path btfSource = kernel.vmlinux().orElse(kernel.image());
            Optional<java.nio.file.Path> systemMap = kernel.systemMap();
            if (systemMap.isEmpty()) {
                introspectionStatus = "off: kernel " + kernel.image() + " has no System.map beside it";
            } else {
                long t0 = System.nanoTime();
                try {
                    btf = Btf.load(btfSource);
                    introspector = Introspector.attach(machine, btf, KernelSymbols.fromSystemMap(systemMap.get()));
                    introspectionStatus = "sampled";
                    log.info("introspection attached in {} ms", (System.nanoTime() - t0) / 1_000_000);
                } catch (RuntimeException e) {
                    // The monitor is an extra: a kernel it cannot read makes its claims inconclusive, not the run fail.
                    introspectionStatus = "unavailable: attaching to the guest kernel failed: " + e;
                    log.warn("introspection: {}", introspectionStatus);
                    if (btf != null) {
                        btf.close();
                        btf = null;
                    }
                }
            }
        }
        return Optional.ofNullable(introspector);
    }

    /** {@code sampled} once attached; {@code off: …} or {@code unavailable: …} with the reason otherwise. */
    public synchronized String introspectionStatus() {
        return introspectionStatus;
    }

    /** The agent, for what the scenario API does not cover (read a guest file, run a command). */
    public AgentClient agent() {
        return agent;
    }

    public Machine machine() {
        return machine;
    }

    public KernelImage kernel() {
        return kernel;
    }

    public String kernelRelease() {
        return agent.kernelRelease();
    }

    public Duration bootTime() {
        return bootTime;
    }

    /** Whether the guest started from a snapshot ({@link Vm.Builder#snapshot}) rather than a cold boot. */
    public boolean fromSnapshot() {
        return session.restored();
    }

    /** sched_ext's state as the guest reports it ({@code enabled}, {@code disabled}, …), or "" without sched_ext. */
    public String schedExtState() {
        return scheduler.state();
    }

    /**
     * The scheduler's latest exit reason from kmsg (sched_ext's "disabled (…)" line), if it exited; through
     * {@link GuestText#line} (the scheduler writes the message).
     */
    public Optional<String> schedulerExitReason() {
        return scheduler.exitReason();
    }

    /**
     * The end (the last 64 KiB) of the latest sched_ext scheduler's own output (stdout and stderr), "" when none ran;
     * raw, as the scheduler wrote it: clean it with {@link GuestText} before printing or logging it.
     */
    public String schedulerLog() {
        return scheduler.log();
    }

    /**
     * What the guest said about the latest scheduler's failure: the kernel's sched_ext kmsg lines (the disable
     * reason, the scheduler's error message) and the end of the scheduler's output; raw guest text.
     */
    String schedulerErrorText() {
        return scheduler.errorText();
    }

    /** How the latest scheduler exited, from kmsg and its output ({@link SchedulerExitText}); read while the guest runs. */
    SchedulerExitText schedulerExit() {
        return SchedulerExitText.parse(scheduler.kmsgSinceEnable(), scheduler.log());
    }

    /** Shell scripts in the guest, values as positional parameters. */
    GuestShell shell() {
        return shell;
    }

    @Override
    public void close() {
        try {
            if (agent.isOpen()) {
                scheduler.stopForPowerOff();
                agent.powerOff(Duration.ofSeconds(10));
                machine.awaitExit(Duration.ofSeconds(10));
            }
        } catch (GuestException e) {
            log.debug("powering off: {}", e.toString());
        } finally {
            session.close();
            if (scratchDisk != null) {
                scratchDisk.close(); // after the machine: nothing writes it any more
            }
            synchronized (this) {
                if (btf != null) {
                    btf.close();
                    btf = null;
                }
                introspector = null;
            }
        }
    }
}
