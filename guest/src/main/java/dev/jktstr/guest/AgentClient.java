package dev.jktstr.guest;

import static dev.jktstr.guest.AgentErrors.requireCap;
import static dev.jktstr.guest.AgentErrors.requirePositive;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import dev.jktstr.machine.ChannelStreams;
import dev.jktstr.machine.GuestText;
import dev.jktstr.machine.LogLimit;

/**
 * Typed client for the guest agent's control channel: one method per request, over an {@link AgentChannel} that does
 * the framing, the demultiplexing by request id, the timeouts, the frame deadline and the close.
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
    public static final Duration CLOSE_BOUND = AgentChannel.CLOSE_BOUND;

    /** Lines each guest-triggered log source writes before it only counts ({@link LogLimit}). */
    static final int LOGGED_PER_SOURCE = AgentChannel.LOGGED_PER_SOURCE;

    private final AgentChannel channel;
    private final ReentrantLock writeFileLock = new ReentrantLock();
    private volatile Duration defaultTimeout = DEFAULT_TIMEOUT;
    private volatile long maxFileSize = DEFAULT_MAX_FILE_SIZE;

    private AgentClient(AgentChannel channel) {
        this.channel = channel;
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
        AgentClient client = new AgentClient(new AgentChannel(in, out, DEFAULT_FRAME_DEADLINE));
        client.channel.start();
        try {
            client.channel.sendHello();
            client.channel.ready().get(readyTimeout.toNanos(), TimeUnit.NANOSECONDS);
            return client;
        } catch (TimeoutException e) {
            client.close();
            throw new AgentTimeoutException("the guest agent did not announce itself (READY) within " + readyTimeout);
        } catch (ExecutionException e) {
            client.close();
            throw AgentErrors.rethrown("waiting for the guest agent's READY", e.getCause());
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
        if (channel instanceof SelectableChannel sc && !sc.isBlocking()) {
            throw new IllegalArgumentException("the control channel must be in blocking mode");
        }
        return connect(ChannelStreams.in(channel, channel, ChannelStreams.OnAsyncClose.THROW),
                ChannelStreams.out(channel, channel), readyTimeout);
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
        channel.setFrameDeadline(deadline);
    }

    public boolean isOpen() {
        return channel.isOpen();
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
        Frame f = call(Protocol.WORKERS_SPAWN, WorkerCodec.spawnRequest(request), "WORKERS_SPAWN " + request.count() + " x "
                + request.type() + (request.cgroupPath().isEmpty() ? "" : " in " + request.cgroupPath()), defaultTimeout,
                false, false);
        return WorkerCodec.spawnAnswer(f, request);
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
        long graceMs = Math.min(grace.toMillis(), Protocol.MAX_STOP_GRACE_MS);
        Frame f = call(Protocol.WORKERS_STOP, new PayloadWriter().u32(group.id()).u32(graceMs).toBytes(),
                "WORKERS_STOP " + group.id(), defaultTimeout.plus(Duration.ofMillis(graceMs)), false, false);
        return WorkerCodec.stopAnswer(f, group);
    }

    /**
     * The progress of running groups, without stopping them: per group (by id, in the order asked), each worker's
     * work so far and its gaps. Unknown groups are an {@link AgentException} ({@code ENOENT}).
     */
    public Map<Integer, List<WorkerProgress>> peekWorkers(Collection<WorkerGroup> groups) {
        if (groups.isEmpty()) {
            return Map.of();
        }
        if (groups.size() > Protocol.MAX_GROUPS) {
            throw new IllegalArgumentException("at most " + Protocol.MAX_GROUPS + " groups per peek, got " + groups.size());
        }
        Frame f = call(Protocol.WORKERS_PEEK, WorkerCodec.groupsRequest(groups), "WORKERS_PEEK " + groups.size()
                + " group(s)", defaultTimeout, false, false);
        return WorkerCodec.peekAnswer(f, groups);
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
        if (groups.size() > Protocol.MAX_GROUPS) {
            throw new IllegalArgumentException("at most " + Protocol.MAX_GROUPS + " groups per take, got " + groups.size());
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
                for (int word = 0; word < Protocol.CPU_MASK_WORDS; word++) {
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
        PendingCall call = channel.newCall("READ_FILE " + path, maxBytes, true, false);
        Frame f = channel.await(call, channel.send(call, Protocol.READ_FILE, payload), timeout);
        PayloadReader r = new PayloadReader(f.payload(), "READ_FILE response");
        long total = r.u64();
        r.end();
        byte[] data = call.data();
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
            PendingCall call = channel.newCall("WRITE_FILE " + path, 0, false, false);
            byte[] header = new PayloadWriter().str(path).u32(mode).u64(data.length).toBytes();
            CompletableFuture<Void> sent = channel.enqueue(call, frames -> {
                frames.write(Protocol.WRITE_FILE, header, 0, header.length);
                for (int off = 0; off < data.length && !call.isDone(); off += Protocol.DATA_CHUNK) {
                    frames.write(Protocol.WRITE_DATA, data, off, Math.min(Protocol.DATA_CHUNK, data.length - off));
                }
            });
            Frame f = channel.await(call, sent, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
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
     * returns within {@link #CLOSE_BOUND} whatever the guest does (see {@link AgentChannel#close()}).
     */
    @Override
    public void close() {
        channel.close();
    }

    // ---------------------------------------------------------------------------------------------------------

    private AgentReady readyInfo() {
        return channel.ready().getNow(null);
    }

    private Frame call(int type, byte[] payload, String what, Duration timeout, boolean collectsData, boolean eofIsSuccess) {
        return channel.call(type, payload, what, timeout, collectsData, eofIsSuccess);
    }
}
