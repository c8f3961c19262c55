package dev.jktstr.guest;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import dev.jktstr.machine.LogLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mechanism under {@link AgentClient}: frames on the control channel's two streams, request ids, and the rules
 * that keep a hostile guest from costing the host more than it allows. It knows no request type but READY.
 *
 * <p>One reader thread demultiplexes frames by request id into {@link PendingCall}s; one writer thread sends frames,
 * so a guest that stops reading never blocks a caller past its timeout. A malformed frame, a frame that overruns the
 * {@link FrameDeadline}, or anything the reader cannot survive (an {@link OutOfMemoryError} included) breaks the
 * channel: every pending call, a pending READY and every later call fail with the first reason. Frames nobody asked
 * for are logged through {@link LogLimit}s. {@link #close()} returns within {@link #CLOSE_BOUND}.
 */
final class AgentChannel implements AutoCloseable {
    // Named for the client: this is its log, and log configurations name it.
    private static final Logger log = LoggerFactory.getLogger(AgentClient.class);

    /** Longest {@link #close()} takes, whatever the guest and the streams do. */
    static final Duration CLOSE_BOUND = Duration.ofSeconds(2);
    /** Lines each guest-triggered log source writes before it only counts ({@link LogLimit}). */
    static final int LOGGED_PER_SOURCE = 10;

    private final InputStream in;
    private final OutputStream out;
    private final Map<Integer, PendingCall> pending = new ConcurrentHashMap<>();
    // A random start keeps late answers meant for an earlier connection from matching this one's ids.
    private final AtomicInteger nextId = new AtomicInteger(ThreadLocalRandom.current().nextInt(1, 1 << 30));
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<AgentReady> ready = new CompletableFuture<>();
    private final ExecutorService writer;
    private final Thread reader;
    private final FrameDeadline frameDeadline;
    private volatile AgentException broken;
    // A guest can send frames nobody asked for as fast as the channel goes: each kind logs its first few, then counts.
    private final LogLimit unsolicited = new LogLimit("guest agent: unsolicited frames", LOGGED_PER_SOURCE, log::warn);
    private final LogLimit stray = new LogLimit("guest agent: frames for no pending call", LOGGED_PER_SOURCE, log::debug);

    /** Writes the frames of one request on the writer thread. */
    interface FrameWriter {
        void write(Frames frames) throws IOException;
    }

    /** The writer thread's access to the output stream, for one call's frames. */
    interface Frames {
        void write(int type, byte[] payload, int off, int len) throws IOException;
    }

    AgentChannel(InputStream in, OutputStream out, Duration frameDeadline) {
        this.in = Objects.requireNonNull(in, "in");
        this.out = Objects.requireNonNull(out, "out");
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jktstr-agent-writer");
            t.setDaemon(true);
            return t;
        });
        this.reader = new Thread(this::readLoop, "jktstr-agent-reader");
        this.reader.setDaemon(true);
        this.frameDeadline = new FrameDeadline(frameDeadline, this::frameOverdue);
    }

    /** Starts the reader and the frame-deadline watchdog. */
    void start() {
        reader.start();
        frameDeadline.start();
    }

    /**
     * Sends HELLO, which asks the agent to announce itself again (it sends READY when it sees the host connect; HELLO
     * covers a reconnect it did not notice). Before the agent runs, QEMU holds HELLO back until the guest opens the port.
     */
    void sendHello() {
        writer.execute(() -> {
            try {
                FrameCodec.write(out, nextCallId(), Protocol.HELLO, new byte[0], 0, 0);
            } catch (IOException e) {
                ready.completeExceptionally(new AgentException("writing HELLO to the control channel failed: " + e, e));
            }
        });
    }

    /** Completes with the first READY; fails when the channel breaks, ends or closes before it. */
    CompletableFuture<AgentReady> ready() {
        return ready;
    }

    void setFrameDeadline(Duration deadline) {
        frameDeadline.deadline(deadline);
    }

    boolean isOpen() {
        return !closed.get() && broken == null;
    }

    /** One request, one frame each way: sends it and waits at most {@code timeout} for the answer. */
    Frame call(int type, byte[] payload, String what, Duration timeout, boolean collectsData, boolean eofIsSuccess) {
        AgentErrors.requirePositive(timeout);
        PendingCall call = newCall(what, 0, collectsData, eofIsSuccess);
        return await(call, send(call, type, payload), timeout);
    }

    /**
     * Registers a call under a fresh id. With {@code collectsData} its DATA frames are kept, up to {@code maxBytes};
     * with {@code eofIsSuccess} the channel ending answers it. Fails at once when the channel is closed or broken.
     */
    PendingCall newCall(String what, long maxBytes, boolean collectsData, boolean eofIsSuccess) {
        checkUsable(what);
        int id = nextCallId();
        PendingCall call = new PendingCall(id, what, maxBytes, collectsData, eofIsSuccess);
        pending.put(id, call);
        return call;
    }

    /** Queues the call's one request frame. */
    CompletableFuture<Void> send(PendingCall call, int type, byte[] payload) {
        return enqueue(call, frames -> frames.write(type, payload, 0, payload.length));
    }

    /**
     * Queues the call's frames for the writer thread; skipped when the call is done before its turn. A failed write
     * fails the call now (an {@link Error} too), not at its timeout.
     */
    CompletableFuture<Void> enqueue(PendingCall call, FrameWriter io) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        Frames frames = (type, payload, off, len) -> FrameCodec.write(out, call.id, type, payload, off, len);
        try {
            writer.execute(() -> {
                if (call.done.isDone()) {
                    sent.complete(null); // timed out (or failed) while queued: nothing to send any more
                    return;
                }
                try {
                    io.write(frames);
                    sent.complete(null);
                } catch (Throwable e) { // an Error too: the caller hears of it now, not at its timeout
                    sent.completeExceptionally(e);
                    AgentException failure = new AgentException(call.what + ": writing to the control channel failed: " + e, e);
                    if (!call.endOfStreamIsSuccess) {
                        call.done.completeExceptionally(failure);
                    } else {
                        call.done.complete(call.endOfStreamAnswer());
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            pending.remove(call.id);
            throw new AgentException(call.what + ": the agent client is closed");
        }
        return sent;
    }

    /** Waits for the call's final frame; an ERROR frame becomes an AgentException thrown here, in the caller. */
    Frame await(PendingCall call, CompletableFuture<Void> sent, Duration timeout) {
        Objects.requireNonNull(sent);
        try {
            Frame f = call.done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (f.type() == Protocol.ERROR) {
                throw AgentErrors.remoteError(call.what, f);
            }
            return f;
        } catch (TimeoutException e) {
            AgentTimeoutException timedOut = new AgentTimeoutException(call.what + ": no answer from the guest agent within "
                    + timeout);
            // Done now: the writer skips it if still queued and a WRITE_FILE stops streaming after the chunk in flight.
            call.done.completeExceptionally(timedOut);
            throw timedOut;
        } catch (ExecutionException e) {
            throw AgentErrors.rethrown(call.what, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(call.what + ": interrupted");
        } finally {
            pending.remove(call.id);
        }
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

    private int nextCallId() {
        int id;
        do {
            id = nextId.getAndIncrement();
        } while (id == 0); // 0 is the id of unsolicited frames (READY, framing errors)
        return id;
    }

    private void checkUsable(String what) {
        if (closed.get()) {
            throw new AgentException(what + ": the agent client is closed");
        }
        AgentException b = broken;
        if (b != null) {
            throw AgentErrors.rethrown(what + ": the control channel is unusable", b);
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
        for (PendingCall call : pending.values()) {
            if (call.endOfStreamIsSuccess) {
                call.done.complete(call.endOfStreamAnswer());
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
                PendingCall call = pending.get(f.id());
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
                PendingCall call = pending.get(f.id());
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
        AgentReady info = AgentReady.parse(f);
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
            return "guest agent reported: " + AgentErrors.remoteError("a frame from the host", f).getMessage();
        } catch (AgentProtocolException e) {
            return "guest agent sent an unreadable unsolicited error: " + e.getMessage();
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("closing the control channel: {}", e.toString());
        }
    }
}
