package dev.jktstr.guest;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import dev.jktstr.machine.GuestText;
import dev.jktstr.machine.LogLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed client for the guest agent's control channel.
 *
 * <p>One reader thread demultiplexes responses by request id; one writer thread sends frames, so a guest that stops
 * reading can never block a caller past its timeout. Every call waits at most its timeout (the default one unless
 * given) and then throws {@link AgentTimeoutException}; the agent's own failures come as {@link AgentException}
 * with the errno name, and anything malformed from the guest as {@link AgentProtocolException}, after which the
 * client is broken (the channel can no longer be trusted) and every call fails fast.
 *
 * <p>The guest is hostile, and the host does not pay for it: a READ_FILE accepts at most its call's cap (a small
 * default; {@link #readFile(String, long, Duration)} for larger transfers), a frame that has begun must end within
 * the frame deadline ({@link #setFrameDeadline}), anything the reader thread cannot survive (an
 * {@link OutOfMemoryError} included) breaks the channel and fails every pending call instead of leaving a client that
 * looks open, a timed-out write stops streaming, and {@link #close()} returns within {@link #CLOSE_BOUND} even when
 * the guest stopped reading. Guest text in results and logs goes through {@link GuestText}; unsolicited frames are
 * logged through a {@link LogLimit}.
 *
 * <p>The agent serves requests one at a time in arrival order; concurrent callers are fine but queue in the guest.
 */
public final class AgentClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentClient.class);

    /** Default timeout of calls that are not given one. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Extra time the host waits beyond an EXEC's own timeout, for the agent to kill the command and answer. */
    public static final Duration EXEC_GRACE = Duration.ofSeconds(5);
    /**
     * Default cap on what {@link #readFile(String)} accepts from the guest; larger transfers name their cap
     * ({@link #readFile(String, long, Duration)}).
     */
    public static final long DEFAULT_MAX_FILE_SIZE = 16L << 20;
    /** Largest cap a READ_FILE may name: what one Java array holds. */
    public static final long MAX_FILE_CAP = Integer.MAX_VALUE - 16;
    /** Default time a frame from the guest may take from its first byte to its last ({@link #setFrameDeadline}). */
    public static final Duration DEFAULT_FRAME_DEADLINE = Duration.ofSeconds(30);
    /** Longest {@link #close()} takes, whatever the guest and the streams do. */
    public static final Duration CLOSE_BOUND = Duration.ofSeconds(2);

    // Caps on guest strings the client keeps or shows (they are cleaned with GuestText as well).
    private static final int MAX_RELEASE = 256;
    private static final int MAX_MOUNT_FAILURES = 32;
    private static final int MAX_ERRNO_NAME = 32;
    private static final int MAX_ERROR_MESSAGE = 1024;
    /** Lines each guest-triggered log source writes before it only counts ({@link LogLimit}). */
    static final int LOGGED_PER_SOURCE = 10;

    private final InputStream in;
    private final OutputStream out;
    private final Map<Integer, Call> pending = new ConcurrentHashMap<>();
    // A random start keeps late answers meant for an earlier connection from matching this one's ids.
    private final AtomicInteger nextId = new AtomicInteger(java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 1 << 30));
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Ready> ready = new CompletableFuture<>();
    private final ExecutorService writer;
    private final Thread reader;
    private final FrameDeadline frameDeadline;
    private final ReentrantLock writeFileLock = new ReentrantLock();
    private volatile AgentException broken;
    private volatile Duration defaultTimeout = DEFAULT_TIMEOUT;
    private volatile long maxFileSize = DEFAULT_MAX_FILE_SIZE;
    // A guest can send frames nobody asked for as fast as the channel goes: each kind logs its first few, then counts.
    private final LogLimit unsolicited = new LogLimit("guest agent: unsolicited frames", LOGGED_PER_SOURCE, log::warn);
    private final LogLimit stray = new LogLimit("guest agent: frames for no pending call", LOGGED_PER_SOURCE, log::debug);

    private record Ready(int version, Duration agentStart, Duration readySent, String kernelRelease, List<String> mountFailures) {}

    private static final class Call {
        final int id;
        final String what;
        final CompletableFuture<Frame> done = new CompletableFuture<>();
        final ByteArrayOutputStream data; // DATA chunks of a READ_FILE, else null
        final long maxBytes; // the most DATA the call accepts
        final boolean endOfStreamIsSuccess;

        Call(int id, String what, long maxBytes, boolean collectsData, boolean endOfStreamIsSuccess) {
            this.id = id;
            this.what = what;
            this.data = collectsData ? new ByteArrayOutputStream() : null;
            this.maxBytes = collectsData ? maxBytes : 0;
            this.endOfStreamIsSuccess = endOfStreamIsSuccess;
        }
    }

    private AgentClient(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jktstr-agent-writer");
            t.setDaemon(true);
            return t;
        });
        this.reader = new Thread(this::readLoop, "jktstr-agent-reader");
        this.reader.setDaemon(true);
        this.frameDeadline = new FrameDeadline(DEFAULT_FRAME_DEADLINE, this::frameOverdue);
    }

    /**
     * Starts a client on the control channel's streams and waits for the agent's READY frame.
     *
     * @throws AgentTimeoutException when READY does not come within {@code readyTimeout} (the client is closed)
     */
    public static AgentClient connect(InputStream in, OutputStream out, Duration readyTimeout) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        requirePositive(readyTimeout);
        AgentClient client = new AgentClient(in, out);
        client.reader.start();
        client.frameDeadline.start();
        try {
            // The agent sends READY when it sees the host connect; HELLO covers a reconnect it did not notice.
            // Before the agent runs, QEMU holds HELLO back until the guest opens the port.
            client.writer.execute(() -> {
                try {
                    FrameCodec.write(out, client.nextCallId(), Protocol.HELLO, new byte[0], 0, 0);
                } catch (IOException e) {
                    client.ready.completeExceptionally(new AgentException("writing HELLO to the control channel failed: " + e, e));
                }
            });
            client.ready.get(readyTimeout.toNanos(), TimeUnit.NANOSECONDS);
            return client;
        } catch (TimeoutException e) {
            client.close();
            throw new AgentTimeoutException("the guest agent did not announce itself (READY) within " + readyTimeout);
        } catch (ExecutionException e) {
            client.close();
            throw rethrown("waiting for the guest agent's READY", e.getCause());
        } catch (InterruptedException e) {
            client.close();
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted while waiting for the guest agent's READY");
        }
    }

    /**
     * Starts a client on a byte channel (for example a Unix-domain {@code SocketChannel} to QEMU's chardev socket).
     * Reads and writes go straight to the channel, so they can proceed concurrently; closing the client closes it.
     */
    public static AgentClient connect(ByteChannel channel, Duration readyTimeout) {
        Objects.requireNonNull(channel, "channel");
        if (channel instanceof java.nio.channels.SelectableChannel sc && !sc.isBlocking()) {
            throw new IllegalArgumentException("the control channel must be in blocking mode");
        }
        InputStream in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                int n;
                do {
                    n = channel.read(ByteBuffer.wrap(b, off, len));
                } while (n == 0);
                return n;
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
        return connect(in, out, readyTimeout);
    }

    /** Time from kernel boot to the agent's start: the guest's /proc/uptime when the agent began, as it reported. */
    public Duration agentBootTime() {
        return readyInfo().agentStart();
    }

    /** The guest's uptime when the agent sent READY (after mounting and finding the control port). */
    public Duration agentReadyTime() {
        return readyInfo().readySent();
    }

    /** The guest kernel's release ({@code uname -r}), through {@link GuestText#line} (the guest chose it). */
    public String kernelRelease() {
        return readyInfo().kernelRelease();
    }

    /**
     * Mounts the agent could not make, as {@code "fstype:target:ERRNO"}, through {@link GuestText#line}; empty when all
     * worked.
     */
    public List<String> mountFailures() {
        return readyInfo().mountFailures();
    }

    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    public void setDefaultTimeout(Duration timeout) {
        requirePositive(timeout);
        this.defaultTimeout = timeout;
    }

    /**
     * Largest file {@link #readFile(String)} and {@link #readFile(String, Duration)} accept; beyond it the call fails
     * with {@link AgentProtocolException}.
     */
    public void setMaxFileSize(long bytes) {
        this.maxFileSize = requireCap(bytes);
    }

    /**
     * How long a frame from the guest may take from its first byte to its last; beyond it the channel is broken
     * (every pending and later call fails). Default {@link #DEFAULT_FRAME_DEADLINE}.
     */
    public void setFrameDeadline(Duration deadline) {
        frameDeadline.deadline(deadline);
    }

    public boolean isOpen() {
        return !closed.get() && broken == null;
    }

    public void ping() {
        ping(defaultTimeout);
    }

    /** A round trip through the agent. */
    public void ping(Duration timeout) {
        Frame f = call(Protocol.PING, new byte[0], "PING", timeout, false, false);
        new PayloadReader(f.payload(), "PING response").end();
    }

    /** Runs {@code /bin/sh -c shellCommandLine} (busybox's sh) with the default timeout. */
    public ExecResult exec(String shellCommandLine) {
        return exec(List.of("/bin/sh", "-c", shellCommandLine), Map.of(), defaultTimeout);
    }

    /**
     * Runs a command in the guest. The agent kills it (SIGKILL to its process group) at {@code timeout} and reports
     * {@link ExecResult#timedOut()}; the host gives up {@link #EXEC_GRACE} later. {@code env} adds to the agent's
     * environment (PATH=/bin:/sbin:/usr/bin:/usr/sbin, HOME=/root).
     */
    public ExecResult exec(List<String> argv, Map<String, String> env, Duration timeout) {
        return exec(argv, env, new byte[0], timeout);
    }

    /** As {@link #exec(List, Map, Duration)}, feeding {@code stdin} to the command (at most about 3 MiB). */
    public ExecResult exec(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty");
        }
        requirePositive(timeout);
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> {
            if (k.isEmpty() || k.indexOf('=') >= 0) {
                throw new IllegalArgumentException("bad environment variable name: '" + k + "'");
            }
            envList.add(k + "=" + v);
        });
        long timeoutMs = Math.max(1, Math.min(timeout.toMillis(), 0xFFFF_FFFFL));
        byte[] payload = new PayloadWriter().u32(timeoutMs).u32(Protocol.MAX_EXEC_OUTPUT)
                .strs(argv).strs(envList).bytes(stdin).toBytes();
        if (payload.length > Protocol.MAX_PAYLOAD) {
            throw new IllegalArgumentException("EXEC request of " + payload.length + " bytes exceeds the frame limit of "
                    + Protocol.MAX_PAYLOAD + " bytes (stdin too large?)");
        }
        Frame f = call(Protocol.EXEC, payload, "EXEC " + argv, timeout.plus(EXEC_GRACE), false, false);
        PayloadReader r = new PayloadReader(f.payload(), "EXEC response");
        boolean signaled = r.u8() != 0;
        int status = (int) r.u32();
        boolean timedOut = r.u8() != 0;
        boolean outTrunc = r.u8() != 0;
        boolean errTrunc = r.u8() != 0;
        long elapsedMs = r.u32();
        byte[] stdout = r.bytes();
        byte[] stderr = r.bytes();
        r.end();
        return new ExecResult(signaled ? -1 : status, signaled ? status : 0, timedOut, stdout, stderr, outTrunc, errTrunc,
                Duration.ofMillis(elapsedMs));
    }

    /**
     * Phase one of the two-phase start: forks the workers in the guest, moves each into the cgroup (when one is
     * named) and returns them waiting. Nothing runs the workload until {@link #startWorkers}.
     */
    public WorkerGroup spawnWorkers(WorkerRequest request) {
        byte[] mask = request.affinity().toByteArray();
        PayloadWriter payload = new PayloadWriter().str(request.cgroupPath()).u32(request.count()).u32(request.type().wireId)
                .u32(request.param1()).u32(request.param2()).u32(request.nice()).u32(request.policy() + 1L)
                .bytes(mask);
        if (!request.phases().isEmpty() || request.memPolicy().isPresent()) {
            payload.u32(request.phases().size());
            for (WorkerRequest.Phase p : request.phases()) {
                payload.u32(p.type().wireId).u32(p.param1()).u32(p.param2()).u32(p.duration().toMillis());
            }
        }
        if (request.memPolicy().isPresent()) {
            WorkerRequest.MemPolicy mp = request.memPolicy().get();
            payload.u32(mp.mode().wireId + 1L).u64(mp.nodeMask());
        }
        Frame f = call(Protocol.WORKERS_SPAWN, payload.toBytes(), "WORKERS_SPAWN " + request.count() + " x " + request.type()
                + (request.cgroupPath().isEmpty() ? "" : " in " + request.cgroupPath()), defaultTimeout, false, false);
        PayloadReader r = new PayloadReader(f.payload(), "WORKERS_SPAWN response");
        int id = (int) r.u32();
        long n = r.u32();
        if (n != request.count()) {
            throw new AgentProtocolException("WORKERS_SPAWN: asked for " + request.count() + " workers, agent reports " + n);
        }
        List<Integer> pids = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            pids.add((int) r.u32());
        }
        r.end();
        return new WorkerGroup(id, pids);
    }

    /** Phase two: releases every worker of the group at once. */
    public void startWorkers(WorkerGroup group) {
        Frame f = call(Protocol.WORKERS_START, new PayloadWriter().u32(group.id()).toBytes(), "WORKERS_START " + group.id(),
                defaultTimeout, false, false);
        new PayloadReader(f.payload(), "WORKERS_START response").end();
    }

    /**
     * Stops the group and returns each worker's telemetry, in spawn order. Workers get {@code grace} to write it;
     * the rest are killed and reported with {@link WorkerTelemetry#finished()} false. The group is gone afterwards.
     */
    public List<WorkerTelemetry> stopWorkers(WorkerGroup group, Duration grace) {
        requirePositive(grace);
        long graceMs = Math.min(grace.toMillis(), 60_000);
        Frame f = call(Protocol.WORKERS_STOP, new PayloadWriter().u32(group.id()).u32(graceMs).toBytes(),
                "WORKERS_STOP " + group.id(), defaultTimeout.plus(Duration.ofMillis(graceMs)), false, false);
        PayloadReader r = new PayloadReader(f.payload(), "WORKERS_STOP response");
        long n = r.u32();
        if (n != group.pids().size()) {
            throw new AgentProtocolException("WORKERS_STOP: group had " + group.pids().size() + " workers, agent reports " + n);
        }
        List<WorkerTelemetry> list = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            int pid = (int) r.u32();
            boolean finished = r.u8() != 0;
            long units = r.u64(), iterations = r.u64(), cpu = r.u64(), wall = r.u64(), delay = r.u64(), slices = r.u64(),
                    migrations = r.u64();
            List<Integer> cpus = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                long bits = r.u64();
                for (int b = 0; b < 64; b++) {
                    if ((bits >>> b & 1) != 0) {
                        cpus.add(w * 64 + b);
                    }
                }
            }
            long gap = r.u64(), gapAt = r.u64();
            int gapCpu = (int) r.u32();
            long wakes = r.u32();
            long p50 = r.u64(), p99 = r.u64(), max = r.u64(), vol = r.u64(), invol = r.u64();
            list.add(new WorkerTelemetry(pid, finished, units, iterations, cpu, wall, delay == -1L ? -1 : delay, slices,
                    migrations, cpus, gap, gapCpu, gapAt, wakes, p50, p99, max, vol, invol));
        }
        r.end();
        return list;
    }

    /**
     * The progress of running groups, without stopping them: per group (by id, in the order asked), each worker's
     * work so far and its gaps. Unknown groups are an {@link AgentException} ({@code ENOENT}).
     */
    public Map<Integer, List<WorkerProgress>> peekWorkers(java.util.Collection<WorkerGroup> groups) {
        if (groups.isEmpty()) {
            return Map.of();
        }
        if (groups.size() > 64) {
            throw new IllegalArgumentException("at most 64 groups per peek, got " + groups.size());
        }
        PayloadWriter w = new PayloadWriter().u32(groups.size());
        groups.forEach(g -> w.u32(g.id()));
        Frame f = call(Protocol.WORKERS_PEEK, w.toBytes(), "WORKERS_PEEK " + groups.size() + " group(s)", defaultTimeout,
                false, false);
        PayloadReader r = new PayloadReader(f.payload(), "WORKERS_PEEK response");
        r.u64(); // the guest's monotonic clock at the read
        long n = r.u32();
        if (n != groups.size()) {
            throw new AgentProtocolException("WORKERS_PEEK: asked for " + groups.size() + " groups, agent reports " + n);
        }
        Map<Integer, List<WorkerProgress>> out = new java.util.LinkedHashMap<>();
        for (WorkerGroup g : groups) {
            int id = (int) r.u32();
            long count = r.u32();
            if (id != g.id() || count != g.pids().size()) {
                throw new AgentProtocolException("WORKERS_PEEK: expected group " + g.id() + " of " + g.pids().size()
                        + " workers, agent reports group " + id + " of " + count);
            }
            List<WorkerProgress> list = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                int pid = (int) r.u32();
                int state = r.u8();
                list.add(new WorkerProgress(pid, state, r.u64(), r.u64(), r.u64(), r.u64()));
            }
            out.put(id, List.copyOf(list));
        }
        r.end();
        return out;
    }

    /**
     * Takes the CPUs each worker of running groups was seen on since the previous take (or its start), per group (by
     * id, in the order asked), each worker's in spawn order; the agent forgets them, so a take when a cpuset starts to
     * apply and one when it stops give the CPUs each worker used while it applied. Unknown groups are an
     * {@link AgentException} ({@code ENOENT}); an agent without WORKERS_CPUS answers {@code EINVAL}.
     */
    public Map<Integer, List<WorkerCpus>> takeWorkerCpus(java.util.Collection<WorkerGroup> groups) {
        if (groups.isEmpty()) {
            return Map.of();
        }
        if (groups.size() > 64) {
            throw new IllegalArgumentException("at most 64 groups per take, got " + groups.size());
        }
        PayloadWriter w = new PayloadWriter().u32(groups.size());
        groups.forEach(g -> w.u32(g.id()));
        Frame f = call(Protocol.WORKERS_CPUS, w.toBytes(), "WORKERS_CPUS " + groups.size() + " group(s)", defaultTimeout,
                false, false);
        PayloadReader r = new PayloadReader(f.payload(), "WORKERS_CPUS response");
        long n = r.u32();
        if (n != groups.size()) {
            throw new AgentProtocolException("WORKERS_CPUS: asked for " + groups.size() + " groups, agent reports " + n);
        }
        Map<Integer, List<WorkerCpus>> out = new java.util.LinkedHashMap<>();
        for (WorkerGroup g : groups) {
            int id = (int) r.u32();
            long count = r.u32();
            if (id != g.id() || count != g.pids().size()) {
                throw new AgentProtocolException("WORKERS_CPUS: expected group " + g.id() + " of " + g.pids().size()
                        + " workers, agent reports group " + id + " of " + count);
            }
            List<WorkerCpus> list = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                int pid = (int) r.u32();
                List<Integer> cpus = new ArrayList<>();
                for (int word = 0; word < 4; word++) {
                    long bits = r.u64();
                    for (int b = 0; b < 64; b++) {
                        if ((bits >>> b & 1) != 0) {
                            cpus.add(word * 64 + b);
                        }
                    }
                }
                list.add(new WorkerCpus(pid, cpus));
            }
            out.put(id, List.copyOf(list));
        }
        r.end();
        return out;
    }

    /** Reads a whole guest file of at most the client's cap ({@link #setMaxFileSize}, default 16 MiB). */
    public byte[] readFile(String path) {
        return readFile(path, defaultTimeout);
    }

    /** Reads a whole guest file of at most the client's cap ({@link #setMaxFileSize}, default 16 MiB). */
    public byte[] readFile(String path, Duration timeout) {
        return readFile(path, maxFileSize, timeout);
    }

    /**
     * Reads a whole guest file of at most {@code maxBytes}; it streams in 1 MiB chunks, and the total is checked against
     * the agent's count. The agent refuses a larger file (EFBIG); a guest that sends more than {@code maxBytes} anyway
     * fails the call with {@link AgentProtocolException} once the excess arrives, having cost the host at most
     * {@code maxBytes} and one frame. Small caps for state files and logs, an explicit larger one for user transfers.
     */
    public byte[] readFile(String path, long maxBytes, Duration timeout) {
        requirePositive(timeout);
        requireCap(maxBytes);
        byte[] payload = new PayloadWriter().str(path).u64(maxBytes).toBytes();
        Call call = newCall("READ_FILE " + path, maxBytes, true, false);
        Frame f = await(call, send(call, Protocol.READ_FILE, payload), timeout);
        PayloadReader r = new PayloadReader(f.payload(), "READ_FILE response");
        long total = r.u64();
        r.end();
        byte[] data;
        synchronized (call) {
            data = call.data.toByteArray();
        }
        if (total != data.length) {
            throw new AgentProtocolException("READ_FILE " + path + ": agent reported " + total + " bytes but sent " + data.length);
        }
        return data;
    }

    public void writeFile(String path, byte[] data, int mode) {
        writeFile(path, data, mode, defaultTimeout);
    }

    /** Writes a guest file (created with {@code mode}, parents created 0755), streaming it in 1 MiB chunks. */
    public void writeFile(String path, byte[] data, int mode, Duration timeout) {
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode must be within 07777: " + Integer.toOctalString(mode));
        }
        requirePositive(timeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        // The agent keeps one file write open at a time, so writes from this client go one after another.
        try {
            if (!writeFileLock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AgentTimeoutException("WRITE_FILE " + path + ": another write did not finish within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted waiting to write " + path);
        }
        try {
            Call call = newCall("WRITE_FILE " + path, 0, false, false);
            byte[] header = new PayloadWriter().str(path).u32(mode).u64(data.length).toBytes();
            CompletableFuture<Void> sent = enqueue(call, () -> {
                FrameCodec.write(out, call.id, Protocol.WRITE_FILE, header, 0, header.length);
                for (int off = 0; off < data.length && !call.done.isDone(); off += Protocol.DATA_CHUNK) {
                    FrameCodec.write(out, call.id, Protocol.WRITE_DATA, data, off, Math.min(Protocol.DATA_CHUNK, data.length - off));
                }
            });
            Frame f = await(call, sent, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            new PayloadReader(f.payload(), "WRITE_FILE response").end();
        } finally {
            writeFileLock.unlock();
        }
    }

    public List<String> readKmsg() {
        return readKmsg(defaultTimeout);
    }

    /** The guest kernel log's messages so far (as much as fits one frame, oldest first). */
    public List<String> readKmsg(Duration timeout) {
        return readKmsgRecords(timeout).stream().map(KmsgRecord::message).toList();
    }

    /** The guest kernel log's records so far, with level, sequence number and timestamp. */
    public List<KmsgRecord> readKmsgRecords() {
        return readKmsgRecords(defaultTimeout);
    }

    /** The guest kernel log's records so far, with level, sequence number and timestamp. */
    public List<KmsgRecord> readKmsgRecords(Duration timeout) {
        Frame f = call(Protocol.READ_KMSG, new byte[0], "READ_KMSG", timeout, false, false);
        PayloadReader r = new PayloadReader(f.payload(), "READ_KMSG response");
        List<String> raw = r.strs();
        r.end();
        return raw.stream().map(KmsgRecord::parse).toList();
    }

    public void powerOff() {
        powerOff(defaultTimeout);
    }

    /**
     * Asks the agent to sync and power the guest off. Returns when the agent acknowledged or the channel closed
     * (the guest going away first is the expected race, not an error).
     */
    public void powerOff(Duration timeout) {
        call(Protocol.POWER_OFF, new byte[0], "POWER_OFF", timeout, false, true);
    }

    /**
     * Fails pending calls with {@link AgentException}, stops the reader and writer threads and closes both streams;
     * returns within {@link #CLOSE_BOUND} whatever the guest does. A writer blocked because the guest stopped reading
     * is interrupted and its stream closed under it; a stream whose close waits for that writer (a
     * {@code BufferedOutputStream} over a pipe holds its lock while it writes) is closed on a thread of its own that
     * close does not wait for past the bound, so the owner of the channel (the machine) ends it by closing the file
     * descriptor or the process.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + CLOSE_BOUND.toNanos();
        AgentException closedException = new AgentException("the agent client was closed");
        failAll(closedException);
        ready.completeExceptionally(closedException);
        frameDeadline.close();
        writer.shutdownNow();
        reader.interrupt();
        Thread closeIn = Thread.ofPlatform().daemon().name("jktstr-agent-close-in").start(() -> closeQuietly(in));
        Thread closeOut = Thread.ofPlatform().daemon().name("jktstr-agent-close-out").start(() -> closeQuietly(out));
        try {
            for (Thread t : List.of(closeIn, closeOut, reader)) {
                t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            }
            writer.awaitTermination(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closeOut.isAlive() || closeIn.isAlive()) {
            log.warn("closing the control channel's streams did not finish within {} (a writer blocked on a guest that"
                    + " stopped reading holds the stream); left to the channel's owner", CLOSE_BOUND);
        } else if (reader.isAlive()) {
            log.warn("agent reader thread still blocked after close (its input stream ignores close)");
        }
        unsolicited.summarize();
        stray.summarize();
    }

    // ---------------------------------------------------------------------------------------------------------

    private Ready readyInfo() {
        return ready.getNow(null);
    }

    private Frame call(int type, byte[] payload, String what, Duration timeout, boolean collectsData, boolean eofIsSuccess) {
        requirePositive(timeout);
        Call call = newCall(what, 0, collectsData, eofIsSuccess);
        return await(call, send(call, type, payload), timeout);
    }

    private Call newCall(String what, long maxBytes, boolean collectsData, boolean eofIsSuccess) {
        checkUsable(what);
        int id = nextCallId();
        Call call = new Call(id, what, maxBytes, collectsData, eofIsSuccess);
        pending.put(id, call);
        return call;
    }

    private int nextCallId() {
        int id;
        do {
            id = nextId.getAndIncrement();
        } while (id == 0); // 0 is the id of unsolicited frames (READY, framing errors)
        return id;
    }

    private CompletableFuture<Void> send(Call call, int type, byte[] payload) {
        return enqueue(call, () -> FrameCodec.write(out, call.id, type, payload, 0, payload.length));
    }

    private interface Io {
        void run() throws IOException;
    }

    private CompletableFuture<Void> enqueue(Call call, Io io) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try {
            writer.execute(() -> {
                if (call.done.isDone()) {
                    sent.complete(null); // timed out (or failed) while queued: nothing to send any more
                    return;
                }
                try {
                    io.run();
                    sent.complete(null);
                } catch (Throwable e) { // an Error too: the caller hears of it now, not at its timeout
                    sent.completeExceptionally(e);
                    AgentException failure = new AgentException(call.what + ": writing to the control channel failed: " + e, e);
                    if (!call.endOfStreamIsSuccess) {
                        call.done.completeExceptionally(failure);
                    } else {
                        call.done.complete(new Frame(call.id, Protocol.OK, new byte[0]));
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pending.remove(call.id);
            throw new AgentException(call.what + ": the agent client is closed");
        }
        return sent;
    }

    /** Waits for the call's final frame; an ERROR frame becomes an AgentException thrown here, in the caller. */
    private Frame await(Call call, CompletableFuture<Void> sent, Duration timeout) {
        Objects.requireNonNull(sent);
        try {
            Frame f = call.done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (f.type() == Protocol.ERROR) {
                throw remoteError(call.what, f);
            }
            return f;
        } catch (TimeoutException e) {
            AgentTimeoutException timedOut = new AgentTimeoutException(call.what + ": no answer from the guest agent within "
                    + timeout);
            // Done now: the writer skips it if still queued and a WRITE_FILE stops streaming after the chunk in flight.
            call.done.completeExceptionally(timedOut);
            throw timedOut;
        } catch (ExecutionException e) {
            throw rethrown(call.what, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(call.what + ": interrupted");
        } finally {
            pending.remove(call.id);
        }
    }

    private static AgentException remoteError(String what, Frame f) {
        PayloadReader r = new PayloadReader(f.payload(), "ERROR response");
        long errno = r.u32();
        String name = r.str();
        String message = r.str();
        r.end();
        // both strings are the guest's: they reach logs and terminals only cleaned and cut to size
        String errnoName = GuestText.line(name, MAX_ERRNO_NAME);
        String shown = errnoName.isEmpty() ? (errno != 0 ? "errno " + errno : "") : errnoName;
        return new AgentException(what + " failed in the guest: " + GuestText.line(message, MAX_ERROR_MESSAGE)
                + (shown.isEmpty() ? "" : " (" + shown + ")"), errnoName.isEmpty() ? null : errnoName, null);
    }

    private static AgentException rethrown(String what, Throwable cause) {
        String message = what + ": " + cause.getMessage();
        if (cause instanceof AgentProtocolException) {
            return new AgentProtocolException(message, cause);
        }
        if (cause instanceof AgentException a) {
            return new AgentException(message, a.errnoName().orElse(null), cause);
        }
        return new AgentException(message, cause);
    }

    private void checkUsable(String what) {
        if (closed.get()) {
            throw new AgentException(what + ": the agent client is closed");
        }
        AgentException b = broken;
        if (b != null) {
            throw rethrown(what + ": the control channel is unusable", b);
        }
    }

    private void readLoop() {
        try {
            while (!closed.get() && broken == null) {
                Frame f;
                try {
                    f = FrameCodec.read(in, Protocol.MAX_PAYLOAD, frameDeadline::started);
                } finally {
                    frameDeadline.finished();
                }
                if (f == null) {
                    channelEnded(new AgentException("the guest closed the control channel"));
                    return;
                }
                dispatch(f);
            }
        } catch (AgentProtocolException e) {
            log.warn("corrupt frame from the guest agent, giving up on the channel: {}", e.getMessage());
            breakChannel(e);
        } catch (EOFException e) {
            channelEnded(new AgentException("the guest closed the control channel: " + e.getMessage()));
        } catch (IOException e) {
            if (!closed.get()) {
                channelEnded(new AgentException("reading the control channel failed: " + e, e));
            }
        } catch (Throwable t) {
            // Anything, an OutOfMemoryError included: a reader that dies quietly leaves a client that looks open while
            // every call times out. The channel is broken instead, and every caller hears why at once.
            breakChannel(new AgentException("agent reader failed: " + t, t));
            try {
                log.error("agent reader failed, giving up on the channel", t);
            } catch (Throwable ignored) {
                // logging needs memory too
            }
        }
    }

    /** The watchdog's verdict on a stalled frame: the channel is broken, and the reader is unblocked. */
    private void frameOverdue(String why) {
        if (closed.get()) {
            return;
        }
        log.warn("guest agent: {}; giving up on the channel", why);
        breakChannel(new AgentProtocolException(why));
        reader.interrupt();
        Thread.ofPlatform().daemon().name("jktstr-agent-close-in").start(() -> closeQuietly(in));
    }

    /** Marks the channel unusable (the first reason stays), fails every pending call and a pending READY. */
    private void breakChannel(AgentException e) {
        AgentException reason = setBroken(e);
        failAll(reason);
        ready.completeExceptionally(reason);
    }

    private synchronized AgentException setBroken(AgentException e) {
        if (broken == null) {
            broken = e;
        }
        return broken;
    }

    private void channelEnded(AgentException e) {
        if (setBroken(e) != e) {
            return; // broken already (a stalled frame, say): its calls have failed with that reason
        }
        for (Call call : pending.values()) {
            if (call.endOfStreamIsSuccess) {
                call.done.complete(new Frame(call.id, Protocol.OK, new byte[0]));
            } else {
                call.done.completeExceptionally(e);
            }
        }
        ready.completeExceptionally(e);
    }

    private void failAll(AgentException e) {
        pending.values().forEach(c -> c.done.completeExceptionally(e));
    }

    private void dispatch(Frame f) {
        switch (f.type()) {
            case Protocol.READY -> onReady(f);
            case Protocol.DATA -> {
                Call call = pending.get(f.id());
                if (call == null || call.data == null) {
                    stray.log(() -> "dropping " + f + " for no pending READ_FILE");
                    return;
                }
                synchronized (call) {
                    if (call.done.isDone()) {
                        return;
                    }
                    if (call.data.size() + (long) f.payload().length > call.maxBytes) {
                        call.done.completeExceptionally(new AgentProtocolException(call.what + ": the guest sent more than"
                                + " the call's limit of " + call.maxBytes + " bytes"));
                        return;
                    }
                    call.data.writeBytes(f.payload());
                }
            }
            case Protocol.OK, Protocol.ERROR -> {
                if (f.id() == 0) {
                    unsolicited.log(() -> describeUnsolicited(f));
                    return;
                }
                Call call = pending.get(f.id());
                if (call == null) {
                    stray.log(() -> "dropping " + f + " for no pending call (timed out earlier?)");
                    return;
                }
                call.done.complete(f);
            }
            default -> throw new AgentProtocolException("unexpected frame type " + Protocol.typeName(f.type())
                    + " from the guest agent (frame " + Integer.toUnsignedString(f.id()) + ")");
        }
    }

    private void onReady(Frame f) {
        PayloadReader r = new PayloadReader(f.payload(), "READY");
        int version = (int) r.u32();
        long startMs = r.u64();
        long readyMs = r.u64();
        String release = r.str();
        String failures = r.str();
        r.end();
        if (version != Protocol.VERSION) {
            throw new AgentProtocolException("guest agent speaks protocol version " + version + ", this client "
                    + Protocol.VERSION + " (rebuild the image with this jktstr-guest)");
        }
        Ready info = new Ready(version, Duration.ofMillis(startMs), Duration.ofMillis(readyMs),
                GuestText.line(release, MAX_RELEASE), failures.isEmpty() ? List.of()
                        : java.util.Arrays.stream(failures.split(",", MAX_MOUNT_FAILURES + 1)).limit(MAX_MOUNT_FAILURES)
                                .map(m -> GuestText.line(m, MAX_RELEASE)).toList());
        if (!ready.complete(info)) {
            stray.log(() -> "guest agent announced itself again (READY after HELLO, or it saw the host reconnect)");
        } else if (!info.mountFailures().isEmpty()) {
            log.info("guest agent could not mount: {}", info.mountFailures());
        }
    }

    /** The warning for a frame with id 0 (the agent's answer to a frame it could not read, or a lie). */
    private static String describeUnsolicited(Frame f) {
        if (f.type() != Protocol.ERROR) {
            return "guest agent sent an unsolicited " + f;
        }
        try {
            return "guest agent reported: " + remoteError("a frame from the host", f).getMessage();
        } catch (AgentProtocolException e) {
            return "guest agent sent an unreadable unsolicited error: " + e.getMessage();
        }
    }

    private static long requireCap(long bytes) {
        if (bytes < 0 || bytes > MAX_FILE_CAP) {
            throw new IllegalArgumentException("file size cap must be within 0.." + MAX_FILE_CAP + ": " + bytes);
        }
        return bytes;
    }

    private static void requirePositive(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("closing the control channel: {}", e.toString());
        }
    }
}
