package dev.jktstr.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A scripted guest agent that speaks the frame format over a Unix-domain socket pair and does whatever a test tells it:
 * answer with lies, flood, trickle, stop reading. No VM. The client side is {@link #host}; the test drives the peer.
 */
final class HostilePeer implements AutoCloseable {
    private final Path dir;
    final SocketChannel host;
    final SocketChannel guest;
    final InputStream in;
    final OutputStream out;

    HostilePeer() throws IOException {
        dir = Files.createTempDirectory("jktstr-peer-");
        Path socket = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            host = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            guest = server.accept();
        }
        Files.deleteIfExists(socket);
        in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : guest.read(ByteBuffer.wrap(b, off, len));
            }
        };
        out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    guest.write(buf);
                }
            }
        };
    }

    /** The host side's input as a plain stream, for clients connected to other output streams. */
    InputStream hostIn() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : host.read(ByteBuffer.wrap(b, off, len));
            }

            @Override
            public void close() throws IOException {
                host.close();
            }
        };
    }

    /** Sends READY with this kernel release and mount-failure list, then connects a client to the host side. */
    AgentClient connect(byte[] release, byte[] mountFailures) throws IOException {
        sendReady(release, mountFailures);
        return AgentClient.connect(host, Duration.ofSeconds(10));
    }

    AgentClient connect() throws IOException {
        return connect("6.0-hostile".getBytes(StandardCharsets.UTF_8), new byte[0]);
    }

    void sendReady(byte[] release, byte[] mountFailures) throws IOException {
        send(0, Protocol.READY, new PayloadWriter().u32(Protocol.VERSION).u64(1).u64(2).bytes(release).bytes(mountFailures)
                .toBytes());
    }

    /** The next frame the host sent (HELLO first, after a connect). */
    Frame request() throws IOException {
        Frame f = FrameCodec.read(in, Protocol.MAX_PAYLOAD);
        if (f == null) {
            throw new IOException("the host closed the channel");
        }
        return f;
    }

    /** The next request that is not HELLO. */
    Frame call() throws IOException {
        Frame f;
        do {
            f = request();
        } while (f.type() == Protocol.HELLO);
        return f;
    }

    void send(int id, int type, byte[] payload) throws IOException {
        out.write(FrameCodec.encode(id, type, payload));
    }

    static byte[] error(long errno, byte[] name, byte[] message) {
        return new PayloadWriter().u32(errno).bytes(name).bytes(message).toBytes();
    }

    @Override
    public void close() throws IOException {
        guest.close();
        host.close();
        Files.deleteIfExists(dir);
    }
}
