package dev.jktstr.qemu;

import dev.jktstr.machine.BootFailedException;
import dev.jktstr.machine.ChannelStreams;
import dev.jktstr.machine.ConsoleLog;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.GuestPort;
import dev.jktstr.machine.InvalidSpecException;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.MachineStateException;
import dev.jktstr.machine.MachineTimeoutException;
import dev.jktstr.machine.VcpuHostTime;
import dev.jktstr.machine.VcpuRegisters;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A guest running in a QEMU process, wiring the parts of one boot: the chardev sockets QEMU connects to
 * ({@link ChardevSockets}), the process ({@link QemuProcess}), QMP ({@link QmpClient}), the console
 * ({@link ConsolePump}), guest RAM ({@link GuestRamMapping}), SIGSTOP freezes ({@link ProcessFreezer}) and why it
 * exited ({@link QemuExitClassifier}). QEMU starts with {@code -S}: the vCPUs run only after everything is connected
 * and guest RAM is mapped; then the socket names are removed, so nothing of the boot is left on disk.
 */
final class QemuMachine implements Machine {

    private static final Logger LOG = LoggerFactory.getLogger(QemuMachine.class);
    private static final AtomicLong BOOTS = new AtomicLong();
    private static final Duration FREEZE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration QUIT_GRACE = Duration.ofMillis(500);

    private final MachineSpec spec;
    private final String backendName;
    private final long startNanos;
    private final ChardevSockets sockets;
    private final ConsoleLog console = new ConsoleLog();
    private final QemuExitClassifier exit = new QemuExitClassifier(console);
    private Map<String, GuestPort> ports = Map.of();
    private QemuProcess process;
    private ProcessFreezer freezer;
    private QmpClient qmp;
    private GuestPort control;
    private OutputStream consoleInput;
    private ConsolePump pump;
    private GuestRamMapping ram;
    private volatile boolean paused = true;
    /** QEMU's vCPU threads by name, for {@link #vcpuHostTime}; found on first use. */
    private volatile QemuVcpuThreads vcpuThreads;
    private volatile boolean closed;

    /** Boots started by this JVM so far (each names its QEMU {@code jktstr-<pid>-<boot>}). */
    static long bootsSoFar() {
        return BOOTS.get();
    }

    private QemuMachine(MachineSpec spec, String backendName, ChardevSockets sockets) {
        this.spec = spec;
        this.backendName = backendName;
        this.startNanos = System.nanoTime();
        this.sockets = sockets;
    }

    static QemuMachine start(Path binary, QemuBackend.Accel accel, MachineSpec spec, String backendName) {
        return start(binary, accel, spec, backendName, null);
    }

    /** Like {@link #start(Path, QemuBackend.Accel, MachineSpec, String)}, from a saved state when {@code state} is set. */
    static QemuMachine start(Path binary, QemuBackend.Accel accel, MachineSpec spec, String backendName, Path state) {
        long boot = BOOTS.incrementAndGet();
        String name = "jktstr-" + ProcessHandle.current().pid() + "-" + boot;
        QemuMachine m = new QemuMachine(spec, backendName, ChardevSockets.inTempDir(spec.consolePorts()));
        try {
            m.launch(binary, accel, name, state);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private void launch(Path binary, QemuBackend.Accel accel, String name, Path state) {
        long deadline = startNanos + spec.startTimeout().toNanos();
        try {
            sockets.listen();
            List<String> argv = QemuCommandLine.build(binary, accel, spec, sockets.paths(), name, state != null);
            QemuProcesses.register(this);
            process = QemuProcess.start(argv, name);
            freezer = new ProcessFreezer(process.handle());
            vcpuThreads = new QemuVcpuThreads(process.pid(), spec.topology().cpuCount());

            ChardevSockets.Connections c = sockets.accept(what -> checkStarting(what, deadline));
            control = c.control();
            ports = c.ports();
            consoleInput = ChannelStreams.halfClosingOut(c.serial());
            pump = ConsolePump.start(c.serial(), console, name);

            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000L));
            qmp = new QmpClient(c.qmp(), name, exit::onEvent, left);
            ram = GuestRamMapping.map(process.pid(), spec, qmp);
            if (state != null) {
                // RAM from the file straight into the fresh memfds, then QEMU loads the devices (x-ignore-shared)
                restoreFrom(state, deadline);
            }
            // Everything is connected and mapped: the socket names are no longer needed, so nothing is
            // left on disk even if the JVM is SIGKILLed from here on (guest RAM never had a name).
            sockets.removeNames();
            qmp.execute("cont", Map.of(), QmpClient.COMMAND_TIMEOUT);
            paused = false;
        } catch (IOException e) {
            throw failure("QEMU failed to start: " + e.getMessage(), e);
        } catch (MachineException e) {
            if (e instanceof MachineTimeoutException || e instanceof BootFailedException) {
                throw e;
            }
            throw failure(e.getMessage(), e);
        }
    }

    /** Guest RAM from {@code state} into the mapped memfds, then QEMU loads the devices; failures name the file. */
    private void restoreFrom(Path state, long deadline) {
        QemuRamImage.Layout layout;
        try {
            layout = QemuRamImage.layout(state, spec.topology().numaNodes(), spec.memoryPerNodeMib() << 20);
            QemuRamImage.restore(state, layout, ram.nodes());
        } catch (IOException e) {
            throw failure("cannot restore guest RAM from " + state + ": " + e.getMessage(), e);
        }
        QemuMigration.ignoreSharedRam(qmp);
        QemuMigration.load(qmp, state, layout.devicesLength(),
                Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000L)));
    }

    /** While waiting for QEMU to connect its {@code what}: gives up when QEMU has exited or the start timed out. */
    private void checkStarting(String what, long deadline) {
        if (!process.isAlive()) {
            throw failure("QEMU exited before connecting its " + what, null);
        }
        if (System.nanoTime() > deadline) {
            throw new MachineTimeoutException("QEMU did not connect its " + what + " in time; log: " + process.log(),
                    spec.startTimeout(), console.tail());
        }
    }

    private MachineException failure(String message, Throwable cause) {
        String detail = process == null ? message : process.failureDetail(message);
        return new BootFailedException(detail, ExitReason.CRASHED, console.tail(), cause);
    }

    @Override
    public MachineSpec spec() {
        return spec;
    }

    @Override
    public String backendName() {
        return backendName;
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public GuestMemory memory() {
        requireOpen();
        return ram.memory();
    }

    @Override
    public void pause() {
        requireRunning("pause");
        thaw(); // QMP answers only from a running QEMU
        qmp.execute("stop", Map.of(), QmpClient.COMMAND_TIMEOUT);
        paused = true;
    }

    @Override
    public void resume() {
        requireRunning("resume");
        qmp.execute("cont", Map.of(), QmpClient.COMMAND_TIMEOUT);
        paused = false;
    }

    @Override
    public boolean isPaused() {
        return paused;
    }

    /**
     * Stops the guest, migrates its devices into {@code file} ({@link QemuMigration}; QEMU skips the shared RAM), appends
     * guest RAM from our mapping ({@link QemuRamImage}) and lets the guest run on; a save that fails or times out is
     * cancelled first, so the guest runs on either way.
     */
    @Override
    public synchronized void saveState(Path file, Duration timeout) {
        requireRunning("save a snapshot");
        thaw();
        boolean wasPaused = paused;
        qmp.execute("stop", Map.of(), QmpClient.COMMAND_TIMEOUT);
        try {
            QemuMigration.ignoreSharedRam(qmp);
            QemuMigration.save(qmp, file, timeout);
            QemuRamImage.append(file, ram.nodes());
        } catch (IOException e) {
            throw new MachineException("cannot write guest RAM into " + file + ": " + e.getMessage(), e);
        } catch (MachineException e) {
            try {
                qmp.execute("migrate_cancel", Map.of(), QmpClient.COMMAND_TIMEOUT);
            } catch (MachineException ignored) {
                // reported through e
            }
            throw e;
        } finally {
            if (!wasPaused && process.isAlive()) {
                qmp.execute("cont", Map.of(), QmpClient.COMMAND_TIMEOUT);
            }
        }
    }

    /** SIGSTOP to QEMU, waiting until all its threads are stopped ({@link ProcessFreezer}); QMP does not answer then. */
    @Override
    public synchronized void freeze() {
        requireRunning("freeze");
        if (paused) {
            return;
        }
        if (!freezer.freeze(FREEZE_TIMEOUT)) {
            throw new MachineStateException("QEMU (pid " + process.pid() + ") did not stop within "
                    + FREEZE_TIMEOUT.toMillis() + " ms of SIGSTOP", console.tail());
        }
    }

    @Override
    public synchronized void thaw() {
        if (freezer != null) {
            freezer.thaw();
        }
    }

    /**
     * From QEMU's own vCPU threads ({@code /proc/<pid>/task/<tid>/schedstat}, named with {@code debug-threads=on}):
     * under single-threaded TCG one thread runs every vCPU, so each reading says {@code sharedBy} = the vCPU count.
     */
    @Override
    public Optional<VcpuHostTime> vcpuHostTime(int cpu) {
        QemuVcpuThreads threads = vcpuThreads;
        if (threads == null || closed || !process.isAlive()) {
            return Optional.empty();
        }
        return threads.hostTime(cpu);
    }

    @Override
    public VcpuRegisters registers(int cpu) {
        requireRunning("read registers");
        if (!paused) {
            throw new MachineStateException("registers can be read only while the machine is paused; call pause() first");
        }
        if (cpu < 0 || cpu >= spec.topology().cpuCount()) {
            throw new InvalidSpecException("cpu", cpu + " outside 0.." + (spec.topology().cpuCount() - 1));
        }
        Object dump = qmp.execute("human-monitor-command",
                Map.of("command-line", "info registers", "cpu-index", cpu), QmpClient.COMMAND_TIMEOUT);
        return RegisterParser.parse(cpu, String.valueOf(dump));
    }

    @Override
    public InputStream console() {
        return console.stream();
    }

    @Override
    public OutputStream consoleInput() {
        requireOpen();
        return consoleInput;
    }

    @Override
    public String consoleTail() {
        return console.tail();
    }

    @Override
    public GuestPort control() {
        requireOpen();
        return control;
    }

    @Override
    public GuestPort port(String name) {
        requireOpen();
        GuestPort p = ports.get(name);
        if (p == null) {
            throw new InvalidSpecException("port", "no console port '" + name + "'; the spec has " + ports.keySet());
        }
        return p;
    }

    @Override
    public Optional<ExitReason> exitReason() {
        if (process == null) {
            return Optional.of(ExitReason.CRASHED);
        }
        if (process.isAlive()) {
            return Optional.empty();
        }
        return Optional.of(exit.classify(qmp));
    }

    @Override
    public ExitReason awaitExit(Duration timeout) {
        if (process == null) {
            return ExitReason.CRASHED;
        }
        try {
            if (!process.waitFor(timeout)) {
                return ExitReason.TIMEOUT;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitReason.TIMEOUT;
        }
        return exit.classify(qmp);
    }

    private void requireOpen() {
        if (closed) {
            throw new MachineStateException("machine is closed");
        }
    }

    private void requireRunning(String what) {
        requireOpen();
        if (qmp == null || !process.isAlive()) {
            throw new MachineStateException("cannot " + what + ": the guest has exited ("
                    + exitReason().map(Enum::name).orElse("?") + ")", console.tail());
        }
    }

    /** QMP {@code quit}, SIGKILL after 500 ms, reap; then sockets, threads, guest RAM and the temp dir. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (process != null && process.isAlive()) {
            exit.killingByHost();
            if (qmp != null && !qmp.isClosed()) {
                try {
                    qmp.execute("quit", Map.of(), QUIT_GRACE);
                } catch (MachineException e) {
                    LOG.debug("QMP quit: {}", e.getMessage());
                }
            }
            process.stop(QUIT_GRACE);
        }
        if (qmp != null) {
            qmp.close();
        }
        sockets.close();
        if (process != null) {
            process.awaitOutputEnd(2000);
        }
        if (pump != null) {
            pump.join(2000);
        }
        console.end();
        if (process != null && !process.isAlive()) {
            exit.classify(qmp);
        }
        if (ram != null) {
            ram.close();
        }
        sockets.removeNames();
        QemuProcesses.unregister(this);
    }

    /** From the shutdown hook: no waiting, just kill and clean up. */
    void killOnJvmExit() {
        if (process != null) {
            process.kill();
        }
        sockets.removeNames();
    }

    @Override
    public String toString() {
        return "QemuMachine[" + backendName + ", " + spec.topology() + ", pid "
                + (process == null ? "-" : process.pid()) + "]";
    }
}
