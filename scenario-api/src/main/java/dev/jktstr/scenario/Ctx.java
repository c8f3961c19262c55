package dev.jktstr.scenario;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.introspect.Introspector;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.BootProgress;
import dev.jktstr.machine.GuestText;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    static final String CGROUP_ROOT = "/sys/fs/cgroup";
    /** System property naming the kernel (directory or image) when {@link Vm} names none. */
    public static final String KERNEL_PROPERTY = "jktstr.kernel";
    static final String SCHED_EXT_STATE = "/sys/kernel/sched_ext/state";
    static final String SCHED_EXT_OPS = "/sys/kernel/sched_ext/root/ops";
    private static final String SCHED_LOG = "/tmp/jktstr-scheduler.log";
    /** Cap on a sysfs file read through the agent (a sysfs file is at most a page; the guest may say otherwise). */
    static final long SYSFS_READ_CAP = 64 << 10;
    /** How much of the end of the scheduler's output is read back. */
    static final int SCHED_LOG_TAIL = 64 << 10;

    private final Vm vm;
    private final GuestImage image;
    private final Machine machine;
    private final AgentClient agent;
    private final KernelImage kernel;
    private final Duration bootTime;
    private volatile Consumer<Progress> progress = p -> { };
    private final List<Consumer<RunResult>> resultListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Duration duration;
    private Assert testThresholds;
    // The sched_ext scheduler in charge (null: none configured yet, EEVDF) and whether it should be attached now.
    private volatile Scheduler.Binary active;
    private volatile boolean schedulerExpected = true;
    // Scheduler binaries in the guest: guest path -> host file (the VM's from the image, replacements uploaded).
    private final Map<String, java.nio.file.Path> installed = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean monitoring = true;
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

    private Ctx(Vm vm, KernelImage kernel, GuestImage image, Machine machine, AgentClient agent, Duration bootTime) {
        this.vm = vm;
        this.kernel = kernel;
        this.image = image;
        this.machine = machine;
        this.agent = agent;
        this.bootTime = bootTime;
        this.duration = vm.duration();
        this.testThresholds = vm.thresholds();
        if (vm.scheduler() instanceof Scheduler.Binary b) {
            this.active = b;
            installed.put(b.guestPath(), b.path().toAbsolutePath().normalize());
        }
    }

    /** How often a slow boot logs where it is (the console's last line). */
    static final Duration SLOW_BOOT = Duration.ofSeconds(10);

    static Ctx boot(Vm vm) {
        KernelImage kernel = vm.kernelImage(); // the property, else the standard lookup (JKTSTR_KERNEL, cache, ./linux, /boot)
        GuestImage.Builder ib = GuestImage.builder().withBusybox(true);
        if (vm.scheduler() instanceof Scheduler.Binary b) {
            ib.addBinary(b.path(), b.guestPath());
        }
        GuestImage image = ib.build();
        Machine machine = null;
        AgentClient agent = null;
        try {
            MachineSpec spec = MachineSpec.builder(kernel.image()).initramfs(image.initramfs()).topology(vm.topology())
                    .memoryPerNodeMib(vm.memoryMib()).commandLine(vm.commandLine()).build();
            MachineBackend backend = vm.backend().map(MachineBackends::byName).orElseGet(() -> MachineBackends.fastestFor(spec));
            machine = backend.boot(spec);
            try (BootProgress progress = BootProgress.watch(machine, SLOW_BOOT, log::info)) {
                agent = AgentClient.connect(machine.control().in(), machine.control().out(), vm.bootTimeout());
            } catch (GuestException e) {
                throw MachineFailures.explain(machine, "waiting for the guest agent", vm.bootTimeout(), e);
            }
            Ctx ctx = new Ctx(vm, kernel, image, machine, agent, Duration.ofNanos(System.nanoTime() - machine.startNanos()));
            try {
                ctx.prepareGuest();
            } catch (GuestException e) {
                // a guest that dies here (a kernel oops while the scheduler loads) says why on its console
                throw MachineFailures.explain(machine, "preparing the guest (cgroups, scheduler)", vm.bootTimeout(), e);
            }
            return ctx;
        } catch (MachineException e) {
            closeAll(agent, machine, image);
            throw new ScenarioException(e.describe(), e);
        } catch (RuntimeException e) {
            closeAll(agent, machine, image);
            throw e;
        }
    }

    private void prepareGuest() {
        // Children of the root get the cpuset and cpu controllers; cpuset is what isolation relies on.
        sh("echo '+cpuset +cpu' > " + CGROUP_ROOT + "/cgroup.subtree_control");
        if (vm.scheduler() instanceof Scheduler.Binary b) {
            startScheduler(b);
        }
    }

    private void startScheduler(Scheduler.Binary b) {
        List<String> argv = new ArrayList<>(List.of(b.guestPath()));
        argv.addAll(b.args());
        String quoted = String.join(" ", argv.stream().map(Ctx::shellQuote).toList());
        int kmsgBefore = schedExtKmsg().size(); // what the kernel says about this attempt comes after these
        // It loads at nice -20 (verifying a BPF scheduler takes seconds under TCG; workers spinning at nice 0 would
        // stretch that, and with it the time a replacement leaves the workers on the fallback), and runs at nice 0
        // once enabled with root/ops there (the kernel creates it once the new scheduler is in charge).
        ExecResult r = agent.exec(List.of("/bin/sh", "-c", "/bin/sh -c 'renice -20 -p $$ >/dev/null 2>&1; exec \"$0\" \"$@\"' "
                + quoted + " >" + SCHED_LOG + " 2>&1 & pid=$!; "
                + "for i in $(seq 600); do [ \"$(cat " + SCHED_EXT_STATE + ")\" = enabled ] && [ -s " + SCHED_EXT_OPS + " ] && break; "
                + "kill -0 $pid 2>/dev/null || break; sleep 0.05; done; "
                // back to 0: every thread of every process in its group (threads started while loading inherited -20)
                + "renice 0 -g \"$(cut -d' ' -f5 /proc/$pid/stat)\" >/dev/null 2>&1; echo $pid; echo \"$(cat "
                + SCHED_EXT_STATE + " 2>/dev/null)\"; "
                // the scheduler's fate: still running, or its exit status
                + "{ kill -0 $pid 2>/dev/null && echo running; } || { wait $pid; echo \"exit $?\"; }"),
                Map.of(), Duration.ofSeconds(60));
        List<String> lines = r.stdoutText().lines().toList();
        String state = lines.size() < 2 ? "" : lines.get(1).strip();
        if (!state.equals("enabled")) {
            String process = lines.size() < 3 ? "" : lines.get(2).strip();
            String output = GuestText.lines(tail(schedulerOutput()));
            if (state.isEmpty()) {
                throw new ScenarioException("scheduler " + b.name() + ": this kernel has no sched_ext (no " + SCHED_EXT_STATE
                        + "); boot one built with CONFIG_SCHED_CLASS_EXT=y (`jktstr kernel build`)"
                        + (output.isEmpty() ? "" : "; its output: " + output));
            }
            String how = process.startsWith("exit ") ? "it exited with status " + GuestText.line(process.substring(5), 16)
                    : "it is running but sched_ext was not enabled within 30 s";
            List<String> kmsg = schedExtKmsg();
            List<String> news = kmsg.subList(Math.min(kmsgBefore, kmsg.size()), kmsg.size());
            String kernelSaid = news.isEmpty() ? "" : "; the kernel: " + GuestText.line(String.join(" / ",
                    news.subList(Math.max(0, news.size() - 6), news.size())), 1000);
            // sched_ext schedulers report their exit as "EXIT: <reason> (<message>)" (UEI_REPORT): their own words
            String said = output.lines().filter(l -> l.startsWith("EXIT:")).reduce((x, y) -> y)
                    .map(l -> "; it reported: " + GuestText.line(l, 500)).orElse("");
            throw new SchedulerFailedException(b.name(), "failed to attach: " + how + " (sched_ext state: "
                    + GuestText.line(state, 64) + ")" + said + kernelSaid, output);
        }
        log.info("scheduler {} running (guest pid {})", b.name(), GuestText.line(lines.get(0), 32));
    }

    /** Whether the sched_ext scheduler should be attached now (false after a detach op, and under EEVDF). */
    boolean schedulerExpected() {
        return schedulerExpected && active != null;
    }

    /**
     * The scheduler in charge now: the sched_ext binary attached (the VM's, or the one a {@link #replaceScheduler}
     * put in), or EEVDF when none is (an EEVDF VM, or after {@link #detachScheduler()}).
     */
    public Scheduler currentScheduler() {
        Scheduler.Binary b = active;
        return b != null && schedulerExpected ? b : Scheduler.eevdf();
    }

    /** Stops the sched_ext scheduler with SIGINT and waits until sched_ext is disabled. */
    public void detachScheduler() {
        Scheduler.Binary b = binaryOrFail("detach");
        stopScheduler(b);
        schedulerExpected = false;
    }

    private void stopScheduler(Scheduler.Binary b) {
        sh("killall -INT \"$1\"; for i in $(seq 200); do [ \"$(cat " + SCHED_EXT_STATE + ")\" = disabled ] && exit 0; "
                + " sleep 0.1; done; echo \"sched_ext is $(cat " + SCHED_EXT_STATE + ") 20 s after SIGINT\" >&2; exit 1", b.name());
    }

    /** Starts the sched_ext scheduler again (after {@link #detachScheduler}). */
    public void attachScheduler() {
        Scheduler.Binary b = binaryOrFail("attach");
        startScheduler(b);
        schedulerExpected = true;
    }

    /**
     * Replaces the attached sched_ext scheduler with {@code next}: stops the running one (SIGINT) and waits until
     * sched_ext reads {@code disabled}, then starts {@code next} and waits until it reads {@code enabled} with
     * {@code next}'s ops name in {@code root/ops} (the kernel removes that file on disable, so a name there is the
     * new scheduler's). With no scheduler attached it only attaches. {@code next} stays in charge for later runs.
     */
    public SchedulerSwap replaceScheduler(Scheduler.Binary next) {
        next.validate("scheduler");
        installScheduler(next);
        Scheduler from = currentScheduler();
        String fromOps = from instanceof Scheduler.Binary ? opsName() : "";
        long t0 = System.nanoTime();
        if (from instanceof Scheduler.Binary b) {
            stopScheduler(b);
            schedulerExpected = false;
        }
        long t1 = System.nanoTime();
        startScheduler(next);
        active = next;
        schedulerExpected = true;
        long t2 = System.nanoTime();
        String toOps = opsName();
        log.info("scheduler {} ({}) replaced by {} ({}) in {} + {} ms", from.name(), fromOps, next.name(), toOps,
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
        return new SchedulerSwap(from.name(), fromOps, next.name(), toOps, Duration.ofNanos(t1 - t0), Duration.ofNanos(t2 - t1));
    }

    /**
     * Copies a scheduler binary into the guest (at {@link Scheduler.Binary#guestPath()}) unless it is there already;
     * a different file under the same name is refused (the guest finds schedulers by name).
     */
    void installScheduler(Scheduler.Binary b) {
        java.nio.file.Path host = b.path().toAbsolutePath().normalize();
        java.nio.file.Path there = installed.get(b.guestPath());
        if (there != null) {
            if (!there.equals(host)) {
                throw new ScenarioException("scheduler " + b.path() + ": another binary named " + b.name() + " (" + there
                        + ") is already in the guest; give it another file name");
            }
            return;
        }
        byte[] bytes;
        try {
            bytes = java.nio.file.Files.readAllBytes(host);
        } catch (java.io.IOException e) {
            throw new ScenarioException("reading scheduler binary " + host + ": " + e.getMessage(), e);
        }
        agent.writeFile(b.guestPath(), bytes, 0755, Duration.ofSeconds(60));
        installed.put(b.guestPath(), host);
    }

    /**
     * sched_ext's ops name ({@code /sys/kernel/sched_ext/root/ops}), "" when no scheduler is attached; through
     * {@link GuestText#line} (the scheduler under test chose it).
     */
    public String opsName() {
        return GuestText.line(readGuestText(SCHED_EXT_OPS).strip(), 256);
    }

    private Scheduler.Binary binaryOrFail(String what) {
        Scheduler.Binary b = active;
        if (b != null) {
            return b;
        }
        throw new ScenarioException(what + " scheduler: this VM runs EEVDF, there is no sched_ext scheduler to " + what);
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

    /** sched_ext's state as the guest reports it ({@code enabled}, {@code disabled}, …), or "" without sched_ext. */
    public String schedExtState() {
        return GuestText.line(readGuestText(SCHED_EXT_STATE).strip(), 64);
    }

    /**
     * The scheduler's latest exit reason from kmsg (sched_ext's "disabled (…)" line), if it exited; through
     * {@link GuestText#line} (the scheduler writes the message).
     */
    public Optional<String> schedulerExitReason() {
        List<String> hits = new ArrayList<>();
        try {
            for (String rec : agent.readKmsg()) {
                int semi = rec.indexOf(';');
                String text = semi >= 0 ? rec.substring(semi + 1) : rec;
                if (text.contains("sched_ext") && (text.contains("disabled") || text.contains("error") || text.contains("stall"))) {
                    hits.add(text.strip());
                }
            }
        } catch (GuestException e) {
            log.debug("reading kmsg: {}", e.toString());
        }
        // kmsg holds the whole boot: the latest disable is this run's
        return hits.isEmpty() ? Optional.empty() : Optional.of(GuestText.line(hits.get(hits.size() - 1), 1000));
    }

    /** Every kmsg line about sched_ext (its enable, disable and error messages), oldest first; raw guest text. */
    private List<String> schedExtKmsg() {
        List<String> out = new ArrayList<>();
        try {
            for (String rec : agent.readKmsg()) {
                int semi = rec.indexOf(';');
                String text = semi >= 0 ? rec.substring(semi + 1) : rec;
                if (text.startsWith("sched_ext")) { // not the stack frames of an error dump
                    out.add(text.strip());
                }
            }
        } catch (GuestException e) {
            log.debug("reading kmsg: {}", e.toString());
        }
        return out;
    }

    /**
     * The end (the last {@value #SCHED_LOG_TAIL} bytes) of the latest sched_ext scheduler's own output (stdout and
     * stderr), "" when none ran; raw, as the scheduler wrote it: clean it with {@link GuestText} before printing or
     * logging it.
     */
    public String schedulerLog() {
        return active != null ? schedulerOutput() : "";
    }

    private String schedulerOutput() {
        try {
            // tail in the guest: a scheduler may log without end, the host takes what it shows
            return agent.exec(List.of("/bin/busybox", "tail", "-c", String.valueOf(SCHED_LOG_TAIL), SCHED_LOG), Map.of(),
                    Duration.ofSeconds(30)).stdoutText();
        } catch (GuestException e) {
            return "";
        }
    }

    /** A sysfs file's text, "" when it cannot be read; at most {@link #SYSFS_READ_CAP} bytes whatever the guest sends. */
    String readGuestText(String path) {
        try {
            return new String(agent.readFile(path, SYSFS_READ_CAP, agent.defaultTimeout()), java.nio.charset.StandardCharsets.UTF_8);
        } catch (GuestException e) {
            return "";
        }
    }

    /** Runs a shell script in the guest; a non-zero exit is a ScenarioException with its stderr. */
    String sh(String script, String... args) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
        argv.addAll(List.of(args));
        ExecResult r = agent.exec(argv, Map.of(), Duration.ofSeconds(30));
        if (r.exitCode() != 0) {
            throw new ScenarioException("in the guest, `" + script + "` failed (exit " + r.exitCode() + "): "
                    + GuestText.lines(r.stderrText().strip(), 2000));
        }
        return r.stdoutText();
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s.strip() : "…" + s.substring(s.length() - 2000).strip();
    }

    @Override
    public void close() {
        try {
            if (agent.isOpen()) {
                if (active != null) {
                    Scheduler.Binary b = active;
                    agent.exec(List.of("/bin/sh", "-c", "killall -INT " + b.name() + " 2>/dev/null; sleep 0.5; true"),
                            Map.of(), Duration.ofSeconds(10));
                }
                agent.powerOff(Duration.ofSeconds(10));
                machine.awaitExit(Duration.ofSeconds(10));
            }
        } catch (GuestException e) {
            log.debug("powering off: {}", e.toString());
        } finally {
            closeAll(agent, machine, image);
            synchronized (this) {
                if (btf != null) {
                    btf.close();
                    btf = null;
                }
                introspector = null;
            }
        }
    }

    private static void closeAll(AgentClient agent, Machine machine, GuestImage image) {
        if (agent != null) {
            agent.close();
        }
        if (machine != null) {
            machine.close();
        }
        image.close();
    }
}
