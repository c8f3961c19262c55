package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.GuestText;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A hostile agent floods unsolicited ERROR and OK frames (id 0) and frames for calls nobody made, each ERROR with escape
 * sequences in it: the log gets a bounded number of lines, none with a control character, and the client still works.
 */
class UnsolicitedFloodTest {

    static final int FRAMES = 200_000;

    @Test
    void floodOfUnsolicitedFramesLogsBoundedCleanLines() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (HostilePeer peer = new HostilePeer(); AgentClient c = peer.connect()) {
            byte[] error = FrameCodec.encode(0, Protocol.ERROR, HostilePeer.error(5,
                    HostileGuestTextTest.utf8("EIO\u001b[2J"), HostileGuestTextTest.utf8(HostileGuestTextTest.EVIL)));
            byte[] ok = FrameCodec.encode(0, Protocol.OK, new byte[0]);
            byte[] stray = FrameCodec.encode(12345, Protocol.OK, new byte[0]);
            CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
                try {
                    Frame ping = peer.call();
                    byte[] batch = new byte[(error.length + ok.length + stray.length) * 1000];
                    for (int i = 0, off = 0; i < 1000; i++) {
                        System.arraycopy(error, 0, batch, off, error.length);
                        off += error.length;
                        System.arraycopy(ok, 0, batch, off, ok.length);
                        off += ok.length;
                        System.arraycopy(stray, 0, batch, off, stray.length);
                        off += stray.length;
                    }
                    for (int i = 0; i < FRAMES / 1000; i++) {
                        peer.out.write(batch);
                    }
                    peer.send(ping.id(), Protocol.OK, new byte[0]); // after the flood: the ping returns once all were read
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, task -> Thread.ofPlatform().daemon().start(task));
            c.ping(Duration.ofSeconds(60));
            flood.get();
            assertThat(c.isOpen()).isTrue();
        } finally {
            System.setErr(saved);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("guest agent")).toList();
        // first N, one "only counted" line, one count at close; the stray frames log at debug (off here)
        assertThat(lines).hasSize(AgentClient.LOGGED_PER_SOURCE + 2);
        assertThat(lines.getFirst()).contains("guest agent reported").contains("\\x1b]0;owned");
        assertThat(lines.getLast()).contains((2L * FRAMES - AgentClient.LOGGED_PER_SOURCE) + " more message(s) suppressed");
        assertThat(lines).allSatisfy(l -> assertThat(l.codePoints().filter(cp -> GuestText.isControl(cp, false))).isEmpty());
        assertThat(captured.size()).isLessThan(20_000);
    }
}
