package dev.jktstr.qemu;

import dev.jktstr.machine.ChannelStreams;
import dev.jktstr.machine.MachineException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QMP connection: synchronous commands matched to replies by id, asynchronous events handed to a
 * listener on the reader thread. QMP sends one JSON object per line.
 */
final class QmpClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QmpClient.class);
    /** Longest line we accept from QEMU; anything longer is a broken peer. */
    private static final int MAX_LINE = 4 << 20;
    /** How long an ordinary command (stop, cont, a monitor read) may take. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private final SocketChannel channel;
    private final BufferedReader reader;
    private final OutputStream out;
    private final Map<Long, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Consumer<Map<String, Object>> events;
    private final Thread readerThread;
    private volatile boolean closed;
    private final CompletableFuture<String> greeting = new CompletableFuture<>();

    /** Reads the greeting and negotiates capabilities, then starts the reader thread. */
    QmpClient(SocketChannel channel, String name, Consumer<Map<String, Object>> events, Duration timeout) throws IOException {
        this.channel = channel;
        this.reader = new BufferedReader(new InputStreamReader(ChannelStreams.halfClosingIn(channel), StandardCharsets.UTF_8));
        this.out = ChannelStreams.halfClosingOut(channel);
        this.events = events;
        // The reader thread reads the greeting too, so a QEMU that connects but never speaks cannot
        // hold us past the timeout.
        readerThread = Thread.ofPlatform().daemon().name(name + "-qmp").start(this::readLoop);
        try {
            greeting.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            close();
            throw new IOException("no QMP greeting from QEMU within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            close();
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted waiting for the QMP greeting");
        }
        execute("qmp_capabilities", Map.of(), timeout);
    }

    private String readLine() throws IOException {
        return readLine(reader, MAX_LINE);
    }

    /**
     * One line ({@code \n}-terminated, a trailing {@code \r} dropped), or null at the end of the stream.
     * The length is checked while reading: a peer that never ends its line costs at most {@code max} chars.
     */
    static String readLine(java.io.Reader in, int max) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                break;
            }
            if (line.length() >= max) {
                throw new IOException("QMP line too long (more than " + max + " characters)");
            }
            line.append((char) c);
        }
        if (c == -1 && line.isEmpty()) {
            return null;
        }
        int n = line.length();
        if (n > 0 && line.charAt(n - 1) == '\r') {
            line.setLength(n - 1);
        }
        return line.toString();
    }

    @SuppressWarnings("unchecked")
    private void readLoop() {
        try {
            String first = readLine();
            if (first == null || !first.contains("\"QMP\"")) {
                greeting.completeExceptionally(new IOException("no QMP greeting from QEMU, got: " + first));
                return;
            }
            greeting.complete(first);
            String line;
            while ((line = readLine()) != null) {
                Object parsed;
                try {
                    parsed = Json.parse(line);
                } catch (IOException e) {
                    LOG.warn("unparseable QMP line: {}", line);
                    continue;
                }
                if (!(parsed instanceof Map<?, ?> msg)) {
                    continue;
                }
                Map<String, Object> m = (Map<String, Object>) msg;
                if (m.containsKey("event")) {
                    try {
                        events.accept(m);
                    } catch (RuntimeException e) {
                        LOG.warn("QMP event listener failed", e);
                    }
                    continue;
                }
                Object id = m.get("id");
                CompletableFuture<Object> f = id instanceof Long l ? pending.remove(l) : null;
                if (f == null) {
                    continue;
                }
                if (m.containsKey("error")) {
                    Map<String, Object> err = (Map<String, Object>) m.get("error");
                    f.completeExceptionally(new MachineException("QMP error: " + (err == null ? "?" : err.get("desc"))));
                } else {
                    f.complete(m.get("return"));
                }
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("QMP connection ended: {}", e.toString());
            }
        } finally {
            greeting.completeExceptionally(new IOException("QMP connection ended before the greeting"));
            closed = true;
            MachineException gone = new MachineException("QEMU closed its QMP connection (it exited)");
            pending.values().forEach(f -> f.completeExceptionally(gone));
            pending.clear();
        }
    }

    /** Runs a command and returns its {@code return} value. */
    Object execute(String command, Map<String, ?> arguments, Duration timeout) {
        if (closed) {
            throw new MachineException("QMP connection is closed (QEMU exited)");
        }
        long id = ids.incrementAndGet();
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("execute", command);
        if (!arguments.isEmpty()) {
            msg.put("arguments", arguments);
        }
        msg.put("id", id);
        CompletableFuture<Object> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            synchronized (out) {
                out.write((Json.write(msg) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException e) {
            throw new MachineException("QMP " + command + " failed: " + e.getMessage(), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MachineException me) {
                throw new MachineException("QMP " + command + ": " + me.getMessage(), me);
            }
            throw new MachineException("QMP " + command + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new MachineException("QMP " + command + " got no reply within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MachineException("interrupted during QMP " + command);
        } finally {
            pending.remove(id);
        }
    }

    /** Waits for the reader to see the end of the connection, so every event QEMU sent has been handled. */
    void awaitEnd(long millis) throws InterruptedException {
        readerThread.join(millis);
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            readerThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
