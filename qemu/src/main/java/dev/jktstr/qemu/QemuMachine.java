package dev.jktstr.qemu;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.machine.ChannelStreams;
import dev.jktstr.machine.ConsoleLog;
import dev.jktstr.machine.BootFailedException;
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
import dev.jktstr.nativeio.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A guest running in a QEMU process. Java listens on UNIX sockets in a per-boot temp dir and QEMU
 * connects to them as a client at startup (QMP, serial console, one per virtio port), so no output
 * is lost. QEMU starts with {@code -S}: the vCPUs run only after everything is connected and guest
 * RAM is mapped. Guest RAM is QEMU's {@code memory-backend-memfd}s, mapped through
 * {@code /proc/<qemu pid>/fd} ({@link QemuRamFds}): no file name at any moment, so no other user can open it, plant
 * a symlink for it or find it after a SIGKILL of both processes.
 */
final class QemuMachine implements Machine {

    private static final Logger LOG = LoggerFactory.getLogger(QemuMachine.class);
    private static final AtomicLong BOOTS = new AtomicLong();
    /** q35 keeps RAM below 4 GiB up to here when the guest has less than 2.75 GiB, else up to 2 GiB. */
    private static final long Q35_LOWMEM_SMALL = 0xB000_0000L;
    private static final long Q35_LOWMEM_LARGE = 0x8000_0000L;
    private static final long FOUR_GIB = 1L << 32;
    private static final long LEGACY_HOLE_START = 0xA_0000L;
    private static final long LEGACY_HOLE_END = 0x10_0000L;
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);

    private final MachineSpec spec;
    private final String backendName;
    private final long startNanos;
    private final Path tempDir;
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final List<SocketChannel> channels = new ArrayList<>();
    private final ConsoleLog console = new ConsoleLog();
    private final Map<String, GuestPort> ports = new LinkedHashMap<>();
    private Process process;
    /** Stopped by SIGSTOP ({@link #freeze()}), as opposed to QMP {@code stop} ({@link #paused}). */
    private boolean frozen;
    private static final Duration FREEZE_TIMEOUT = Duration.ofSeconds(2);
    private Thread outputDrain;
    private final StringBuilder qemuOutput = new StringBuilder();
    private QmpClient qmp;
    private SocketChannel serial;
    private GuestPort control;
    private OutputStream consoleInput;
    private Thread pump;
    private Arena arena;
    private GuestMemory memory;
    private volatile boolean paused = true;
    /** QEMU's vCPU threads by name, for {@link #vcpuHostTime}; made on first use. */
    private volatile QemuVcpuThreads vcpuThreads;
    private volatile String shutdownReason;
    private volatile boolean guestPanicked;
    private volatile boolean closed;
    private volatile boolean killedByHost;
    private ExitReason exitReason;

    /** Boots started by this JVM so far (each names its QEMU {@code jktstr-<pid>-<boot>}). */
    static long bootsSoFar() {
        return BOOTS.get();
    }

    private QemuMachine(MachineSpec spec, String backendName, Path tempDir) {
        this.spec = spec;
        this.backendName = backendName;
        this.startNanos = System.nanoTime();
        this.tempDir = tempDir;
    }

    static QemuMachine start(Path binary, QemuBackend.Accel accel, MachineSpec spec, String backendName) {
        long boot = BOOTS.incrementAndGet();
        String name = "jktstr-" + ProcessHandle.current().pid() + "-" + boot;
        Path tempDir;
        try {
            tempDir = Files.createTempDirectory("jktstr-qemu-");
        } catch (IOException e) {
            throw new MachineException("cannot create a temp dir for QEMU sockets: " + e.getMessage(), e);
        }
        QemuMachine m = new QemuMachine(spec, backendName, tempDir);
        try {
            m.launch(binary, accel, name);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private void launch(Path binary, QemuBackend.Accel accel, String name) {
        long deadline = startNanos + spec.startTimeout().toNanos();
        List<Path> portPaths = new ArrayList<>();
        for (int i = 0; i < spec.consolePorts().size(); i++) {
            portPaths.add(tempDir.resolve("port" + i + ".sock"));
        }
        QemuCommandLine.Paths paths = new QemuCommandLine.Paths(tempDir.resolve("qmp.sock"),
                tempDir.resolve("serial.sock"), tempDir.resolve("ctl.sock"), portPaths);
        try {
            ServerSocketChannel qmpServer = listen(paths.qmp());
            ServerSocketChannel serialServer = listen(paths.serial());
            ServerSocketChannel ctlServer = listen(paths.control());
            List<ServerSocketChannel> portServers = new ArrayList<>();
            for (Path p : portPaths) {
                portServers.add(listen(p));
            }
            List<String> argv = new ArrayList<>();
            if (QemuProcesses.hasSetpriv()) {
                argv.addAll(List.of(QemuProcesses.SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
            } else {
                LOG.warn("{} missing (util-linux): QEMU may outlive a killed JVM", QemuProcesses.SETPRIV);
            }
            argv.addAll(QemuCommandLine.build(binary, accel, spec, paths, name));
            LOG.debug("starting {}", argv);
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            QemuProcesses.register(this);
            process = QemuProcesses.launch(pb);
            outputDrain = Thread.ofPlatform().daemon().name(name + "-output").start(this::drainOutput);

            SocketChannel qmpChannel = accept(qmpServer, deadline, "QMP");
            serial = accept(serialServer, deadline, "serial console");
            SocketChannel ctl = accept(ctlServer, deadline, "control port");
            control = new GuestPort(MachineSpec.CONTROL_PORT, ChannelStreams.halfClosingIn(ctl), ChannelStreams.halfClosingOut(ctl));
            for (int i = 0; i < portServers.size(); i++) {
                SocketChannel c = accept(portServers.get(i), deadline, "port " + spec.consolePorts().get(i));
                String portName = spec.consolePorts().get(i);
                ports.put(portName, new GuestPort(portName, ChannelStreams.halfClosingIn(c), ChannelStreams.halfClosingOut(c)));
            }
            consoleInput = ChannelStreams.halfClosingOut(serial);
            pump = Thread.ofPlatform().daemon().name(name + "-console").start(this::pumpConsole);

            Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000L));
            qmp = new QmpClient(qmpChannel, name, this::onEvent, left);
            mapMemory();
            // Everything is connected and mapped: the socket names are no longer needed, so nothing is
            // left on disk even if the JVM is SIGKILLed from here on (guest RAM never had a name).
            deleteFiles();
            qmp.execute("cont", Map.of(), QMP_TIMEOUT);
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

    private MachineException failure(String message, Throwable cause) {
        if (process != null) {
            try {
                process.waitFor(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        String log = qemuLog();
        String detail = process != null && !process.isAlive()
                ? message + " (QEMU exited with status " + process.exitValue() + ")" : message;
        if (!log.isEmpty()) {
            detail += ": " + log;
        }
        return new BootFailedException(detail, ExitReason.CRASHED, console.tail(), cause);
    }

    /** What QEMU printed (its stdout and stderr), the last 4 KiB. */
    private String qemuLog() {
        if (outputDrain != null && !process.isAlive()) {
            try {
                // QEMU has exited; let the drain take its last words.
                outputDrain.join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (qemuOutput) {
            return qemuOutput.toString().strip();
        }
    }

    private void drainOutput() {
        byte[] buf = new byte[4096];
        try (InputStream in = process.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                String text = new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8);
                LOG.debug("qemu: {}", text.strip());
                synchronized (qemuOutput) {
                    qemuOutput.append(text);
                    if (qemuOutput.length() > 4096) {
                        qemuOutput.delete(0, qemuOutput.length() - 4096);
                    }
                }
            }
        } catch (IOException e) {
            // QEMU went away
        }
    }

    private ServerSocketChannel listen(Path path) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        servers.add(s);
        s.bind(UnixDomainSocketAddress.of(path));
        s.configureBlocking(false);
        return s;
    }

    private SocketChannel accept(ServerSocketChannel server, long deadline, String what) throws IOException {
        while (true) {
            SocketChannel c = server.accept();
            if (c != null) {
                c.configureBlocking(true);
                channels.add(c);
                server.close();
                return c;
            }
            if (!process.isAlive()) {
                throw failure("QEMU exited before connecting its " + what, null);
            }
            if (System.nanoTime() > deadline) {
                throw new MachineTimeoutException("QEMU did not connect its " + what + " in time; log: " + qemuLog(),
                        spec.startTimeout(), console.tail());
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MachineException("interrupted while starting QEMU");
            }
        }
    }

    private void mapMemory() throws IOException {
        arena = Arena.ofShared();
        long nodeBytes = spec.memoryPerNodeMib() << 20;
        int nodeCount = spec.topology().numaNodes();
        long total = nodeBytes * nodeCount;
        long lowmem = total >= Q35_LOWMEM_SMALL ? Q35_LOWMEM_LARGE : Q35_LOWMEM_SMALL;
        long below = Math.min(total, lowmem);
        long above = total - below;
        List<MemorySegment> nodes = QemuRamFds.map(process.pid(), nodeCount, nodeBytes, arena,
                node -> node * nodeBytes < below ? node * nodeBytes : FOUR_GIB + node * nodeBytes - below,
                this::readGuestU64);
        List<GuestMemory.Mapping> mappings = new ArrayList<>();
        addRam(mappings, nodes, nodeBytes, 0, 0, LEGACY_HOLE_START);
        addRam(mappings, nodes, nodeBytes, LEGACY_HOLE_END, LEGACY_HOLE_END, below - LEGACY_HOLE_END);
        addRam(mappings, nodes, nodeBytes, FOUR_GIB, below, above);
        memory = GuestMemory.of(mappings);
    }

    /** Eight bytes of guest-physical memory as QEMU reads them (HMP {@code xp}), before our mapping is trusted. */
    private long readGuestU64(long gpa) {
        Object out = qmp.execute("human-monitor-command", Map.of("command-line", "xp /1gx 0x" + Long.toHexString(gpa)),
                QMP_TIMEOUT);
        String text = String.valueOf(out).strip();
        int at = text.lastIndexOf("0x");
        if (at < 0) {
            throw new MachineException("QEMU's xp at 0x" + Long.toHexString(gpa) + " said: " + text);
        }
        return Long.parseUnsignedLong(text.substring(at + 2).strip(), 16);
    }

    /** QEMU lays the node backends end to end as one RAM block; split a guest range at node edges. */
    private static void addRam(List<GuestMemory.Mapping> out, List<MemorySegment> nodes, long nodeBytes,
                               long gpa, long ramOffset, long length) {
        while (length > 0) {
            int node = (int) (ramOffset / nodeBytes);
            long inNode = ramOffset % nodeBytes;
            long chunk = Math.min(length, nodeBytes - inNode);
            out.add(new GuestMemory.Mapping(gpa, nodes.get(node).asSlice(inNode, chunk)));
            gpa += chunk;
            ramOffset += chunk;
            length -= chunk;
        }
    }

    private void pumpConsole() {
        byte[] buf = new byte[8192];
        try (InputStream in = ChannelStreams.halfClosingIn(serial)) {
            int n;
            while ((n = in.read(buf, 0, buf.length)) > 0) {
                console.append(buf, 0, n);
            }
        } catch (IOException e) {
            LOG.debug("console pump ended: {}", e.toString());
        } finally {
            console.end();
        }
    }

    @SuppressWarnings("unchecked")
    private void onEvent(Map<String, Object> event) {
        String name = String.valueOf(event.get("event"));
        Map<String, Object> data = event.get("data") instanceof Map<?, ?> d ? (Map<String, Object>) d : Map.of();
        switch (name) {
            case "SHUTDOWN" -> {
                if (shutdownReason == null) {
                    shutdownReason = String.valueOf(data.get("reason"));
                }
            }
            case "GUEST_PANICKED" -> guestPanicked = true;
            default -> LOG.trace("QMP event {}", event);
        }
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
        return memory;
    }

    @Override
    public void pause() {
        requireRunning("pause");
        thaw(); // QMP answers only from a running QEMU
        qmp.execute("stop", Map.of(), QMP_TIMEOUT);
        paused = true;
    }

    @Override
    public void resume() {
        requireRunning("resume");
        qmp.execute("cont", Map.of(), QMP_TIMEOUT);
        paused = false;
    }

    @Override
    public boolean isPaused() {
        return paused;
    }

    /**
     * SIGSTOP to the QEMU process, then waits until every one of its threads is stopped: a few
     * hundred microseconds, against about a millisecond for each of QMP's {@code stop} and
     * {@code cont}, which wait for QEMU's main loop. QMP does not answer while frozen.
     */
    @Override
    public synchronized void freeze() {
        requireRunning("freeze");
        if (paused || frozen) {
            return;
        }
        long pid = process.pid();
        Libc.kill(pid, LibcH.SIGSTOP);
        frozen = true;
        long deadline = System.nanoTime() + FREEZE_TIMEOUT.toNanos();
        while (!allThreadsStopped(pid)) {
            if (System.nanoTime() > deadline) {
                thaw();
                throw new MachineStateException("QEMU (pid " + pid + ") did not stop within "
                        + FREEZE_TIMEOUT.toMillis() + " ms of SIGSTOP", console.tail());
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public synchronized void thaw() {
        if (frozen) {
            frozen = false;
            if (process.isAlive()) {
                Libc.kill(process.pid(), LibcH.SIGCONT);
            }
        }
    }

    /** Whether /proc says every thread of {@code pid} is stopped (state T or t). */
    private static boolean allThreadsStopped(long pid) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat = Files.readString(task.resolve("stat"));
                // "pid (comm) S ...": the state follows the last ')', since comm may hold one
                int close = stat.lastIndexOf(')');
                char state = close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false; // a thread that went away while listing: look again
        }
    }

    /**
     * From QEMU's own vCPU threads ({@code /proc/<pid>/task/<tid>/schedstat}, named with {@code debug-threads=on}):
     * under single-threaded TCG one thread runs every vCPU, so each reading says {@code sharedBy} = the vCPU count.
     */
    @Override
    public Optional<VcpuHostTime> vcpuHostTime(int cpu) {
        Process p = process;
        if (p == null || closed || !p.isAlive()) {
            return Optional.empty();
        }
        QemuVcpuThreads t = vcpuThreads;
        if (t == null) {
            t = new QemuVcpuThreads(p.pid(), spec.topology().cpuCount());
            vcpuThreads = t;
        }
        return t.hostTime(cpu);
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
                Map.of("command-line", "info registers", "cpu-index", cpu), QMP_TIMEOUT);
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
        return Optional.of(classify());
    }

    @Override
    public ExitReason awaitExit(Duration timeout) {
        if (process == null) {
            return ExitReason.CRASHED;
        }
        try {
            if (!process.waitFor(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
                return ExitReason.TIMEOUT;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitReason.TIMEOUT;
        }
        return classify();
    }

    private synchronized ExitReason classify() {
        if (exitReason != null) {
            return exitReason;
        }
        try {
            // Everything the guest wrote before it stopped is in the console stream, and QEMU sent its
            // SHUTDOWN event before exiting: let the pump and the QMP reader reach the end first.
            console.awaitEnd(2000);
            if (qmp != null) {
                qmp.awaitEnd(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String reason = shutdownReason;
        ExitReason r;
        if (guestPanicked || "guest-panic".equals(reason)) {
            r = ExitReason.PANIC;
        } else if ("guest-shutdown".equals(reason)) {
            r = ExitReason.POWEROFF;
        } else if ("guest-reset".equals(reason)) {
            // -no-reboot turns every reset into an exit; the console tells a panic (panic=-1 resets at
            // once) and an orderly reboot apart from a reset nobody asked for: a triple fault.
            r = console.sawPanic() ? ExitReason.PANIC : console.sawRestart() ? ExitReason.REBOOT : ExitReason.TRIPLE_FAULT;
        } else if (killedByHost) {
            r = ExitReason.CLOSED;
        } else if (console.sawPanic()) {
            r = ExitReason.PANIC;
        } else {
            r = ExitReason.CRASHED;
        }
        exitReason = r;
        return r;
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

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            if (process != null && process.isAlive()) {
                killedByHost = true;
                if (qmp != null && !qmp.isClosed()) {
                    try {
                        qmp.execute("quit", Map.of(), Duration.ofMillis(500));
                    } catch (MachineException e) {
                        LOG.debug("QMP quit: {}", e.getMessage());
                    }
                }
                if (!process.waitFor(500, TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        if (qmp != null) {
            qmp.close();
        }
        for (SocketChannel c : channels) {
            closeQuietly(c);
        }
        for (ServerSocketChannel s : servers) {
            closeQuietly(s);
        }
        if (outputDrain != null) {
            try {
                outputDrain.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (pump != null) {
            try {
                pump.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        console.end();
        if (process != null && !process.isAlive()) {
            classify();
        }
        if (arena != null) {
            try {
                arena.close();
            } catch (IllegalStateException e) {
                LOG.warn("guest memory still in use while closing: {}", e.getMessage());
            }
        }
        deleteFiles();
        QemuProcesses.unregister(this);
    }

    /** From the shutdown hook: no waiting, just kill and clean up. */
    void killOnJvmExit() {
        if (process != null) {
            process.destroyForcibly();
        }
        deleteFiles();
    }

    private void deleteFiles() {
        try (Stream<Path> walk = Files.walk(tempDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("cannot remove {}: {}", p, e.toString());
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.debug("temp dir cleanup: {}", e.toString());
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // releasing anyway
        }
    }

    @Override
    public String toString() {
        return "QemuMachine[" + backendName + ", " + spec.topology() + ", pid "
                + (process == null ? "-" : process.pid()) + "]";
    }
}
