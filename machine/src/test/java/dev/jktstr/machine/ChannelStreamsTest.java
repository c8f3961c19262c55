package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChannelStreamsTest {

    @TempDir
    Path tmp;

    /** Two connected UNIX sockets: [ours, peer]. */
    private SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(tmp.resolve("s.sock")));
            SocketChannel ours = SocketChannel.open(server.getLocalAddress());
            return new SocketChannel[] {ours, server.accept()};
        }
    }

    @Test
    void closingTheOutputHalfClosesSoTheInputStillReads() throws Exception {
        SocketChannel[] s = pair();
        try (SocketChannel ours = s[0]; SocketChannel peer = s[1]) {
            OutputStream out = ChannelStreams.halfClosingOut(ours);
            InputStream in = ChannelStreams.halfClosingIn(ours);
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            out.close();
            InputStream peerIn = ChannelStreams.halfClosingIn(peer);
            assertThat(peerIn.readAllBytes()).asString(StandardCharsets.US_ASCII).isEqualTo("ping");
            ChannelStreams.halfClosingOut(peer).write("pong".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readNBytes(4)).asString(StandardCharsets.US_ASCII).isEqualTo("pong");
            assertThat(ours.isOpen()).isTrue();
        }
    }

    @Test
    void aReadCutByAnotherThreadsCloseIsEndOfStream() throws Exception {
        SocketChannel[] s = pair();
        try (SocketChannel ours = s[0]; SocketChannel peer = s[1]) {
            InputStream in = ChannelStreams.halfClosingIn(ours);
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.read(new byte[16], 0, 16);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(100);
            ours.close();
            assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
        }
    }
}
