package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A hostile agent that stalls, trickles, floods or stops reading: the client is broken or bounded, never hung. */
class HostileAgentStallTest {

    /** Runs a peer's script on a thread of its own (the common pool may be one thread, busy with another script). */
    static CompletableFuture<Void> async(ThrowingRunnable r) {
        return CompletableFuture.runAsync(() -> {
            try {
                r.run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, task -> Thread.ofPlatform().daemon().name("hostile-peer").start(task));
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void aFrameThatTricklesBreaksTheChannelAtItsDeadline() throws Exception {
        try (HostilePeer peer = new HostilePeer(); AgentClient c = peer.connect()) {
            c.setFrameDeadline(Duration.ofMillis(500));
            CompletableFuture<Void> trickle = async(() -> {
                Frame ping = peer.call();
                byte[] frame = FrameCodec.encode(ping.id(), Protocol.OK, new byte[Protocol.MAX_PAYLOAD]);
                // the header promises 4 MiB; then a byte every 50 ms, for as long as the host listens
                for (int i = 0; i < frame.length; i++) {
                    peer.out.write(frame[i]);
                    if (i >= Protocol.HEADER_SIZE) {
                        Thread.sleep(50);
                    }
                }
            });
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> c.ping(Duration.ofSeconds(30))).isInstanceOf(AgentProtocolException.class)
                    .hasMessageContaining("frame deadline 500 ms");
            assertThat(millisSince(t0)).as("well before the call's 30 s timeout").isLessThan(10_000);
            assertThat(c.isOpen()).isFalse();
            long t1 = System.nanoTime();
            assertThatThrownBy(() -> c.ping(Duration.ofSeconds(30))).isInstanceOf(AgentProtocolException.class);
            assertThat(millisSince(t1)).as("later calls fail fast").isLessThan(1_000);
            trickle.cancel(true);
        }
    }

    @Test
    void aQuietGuestIsNotAStalledFrame() throws Exception {
        try (HostilePeer peer = new HostilePeer(); AgentClient c = peer.connect()) {
            c.setFrameDeadline(Duration.ofMillis(200));
            CompletableFuture<Void> slow = async(() -> {
                Frame ping = peer.call();
                Thread.sleep(1_000); // idle between frames: fine
                peer.send(ping.id(), Protocol.OK, new byte[0]);
            });
            c.ping(Duration.ofSeconds(10));
            slow.get();
            assertThat(c.isOpen()).isTrue();
        }
    }

    @Test
    void aReadBeyondTheCallsCapFailsTheCallAndKeepsTheChannel() throws Exception {
        try (HostilePeer peer = new HostilePeer(); AgentClient c = peer.connect()) {
            byte[] chunk = FrameCodec.encode(0, Protocol.DATA, new byte[Protocol.MAX_PAYLOAD]);
            CompletableFuture<Void> flood = async(() -> {
                Frame read = peer.call();
                ByteBuffer.wrap(chunk).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, read.id());
                for (int i = 0; i < 64; i++) { // 256 MiB for a sysfs file
                    peer.out.write(chunk);
                }
                peer.send(read.id(), Protocol.OK, new PayloadWriter().u64(256L << 20).toBytes());
                Frame ping = peer.call();
                peer.send(ping.id(), Protocol.OK, new byte[0]);
            });
            assertThatThrownBy(() -> c.readFile("/sys/kernel/sched_ext/state", 64 << 10, Duration.ofSeconds(30)))
                    .isInstanceOf(AgentProtocolException.class).hasMessageContaining("limit of 65536 bytes");
            c.ping(Duration.ofSeconds(30)); // the excess was read and dropped, the channel is in sync
            flood.get(30, TimeUnit.SECONDS);
            assertThat(c.isOpen()).isTrue();
        }
    }

    @Test
    void aTimedOutWriteStopsStreaming() throws Exception {
        try (HostilePeer peer = new HostilePeer(); AgentClient c = peer.connect()) {
            peer.request(); // HELLO; then the peer reads nothing until the write timed out
            byte[] data = new byte[64 << 20];
            assertThatThrownBy(() -> c.writeFile("/tmp/big", data, 0644, Duration.ofMillis(300)))
                    .isInstanceOf(AgentTimeoutException.class);
            long[] received = {0};
            CompletableFuture<Void> drain = async(() -> {
                ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                int n;
                while ((n = peer.guest.read(buf.clear())) > 0) {
                    received[0] += n;
                }
            });
            Thread.sleep(1_500);
            // what was in flight (one 1 MiB chunk, socket buffers), not the other 63 MiB
            assertThat(received[0]).isLessThan(4L << 20);
            drain.cancel(true);
        }
    }

    @Test
    void closeReturnsInTimeWhenTheGuestStoppedReadingASocket() throws Exception {
        try (HostilePeer peer = new HostilePeer()) {
            AgentClient c = peer.connect();
            AtomicReference<Throwable> writeFailure = new AtomicReference<>();
            Thread writing = Thread.ofPlatform().start(() -> {
                try {
                    c.writeFile("/tmp/big", new byte[64 << 20], 0644, Duration.ofSeconds(60));
                } catch (Throwable t) {
                    writeFailure.set(t);
                }
            });
            Thread.sleep(500); // the writer is blocked: the peer reads nothing
            long t0 = System.nanoTime();
            c.close();
            assertThat(millisSince(t0)).isLessThan(AgentClient.CLOSE_BOUND.toMillis() + 2_000);
            writing.join(5_000);
            assertThat(writing.isAlive()).isFalse();
            assertThat(writeFailure.get()).isInstanceOf(AgentException.class);
        }
    }

    @Test
    void closeReturnsInTimeWhenTheWriterHoldsAPipeStreamsLock() throws Exception {
        // `sleep` never reads its stdin: the writer blocks in a pipe write inside BufferedOutputStream, holding the
        // lock that stream's close() needs.
        Process sink = new ProcessBuilder("sleep", "60").start();
        try (HostilePeer peer = new HostilePeer()) {
            OutputStream pipe = sink.getOutputStream();
            peer.sendReady("6.0-hostile".getBytes(), new byte[0]);
            AgentClient c = AgentClient.connect(peer.hostIn(), pipe, Duration.ofSeconds(10));
            Thread writing = Thread.ofPlatform().daemon().start(() -> {
                try {
                    c.writeFile("/tmp/big", new byte[8 << 20], 0644, Duration.ofSeconds(60));
                } catch (Throwable ignored) {
                    // expected
                }
            });
            Thread.sleep(500);
            long t0 = System.nanoTime();
            c.close();
            assertThat(millisSince(t0)).isLessThan(AgentClient.CLOSE_BOUND.toMillis() + 2_000);
            writing.join(5_000);
            assertThat(writing.isAlive()).as("the caller got its answer").isFalse();
        } finally {
            sink.destroyForcibly().waitFor();
        }
    }
}
