package dev.jktstr.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Blocking streams over one socket channel. Written by hand because the streams from
 * {@link java.nio.channels.Channels} serialise reads and writes on one lock, and the agent protocol
 * reads and writes from different threads at once.
 */
final class SocketStreams {

    private SocketStreams() {
    }

    static InputStream in(SocketChannel channel) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                try {
                    return channel.read(ByteBuffer.wrap(b, off, len));
                } catch (java.nio.channels.AsynchronousCloseException e) {
                    return -1;
                }
            }

            @Override
            public void close() throws IOException {
                channel.shutdownInput();
            }
        };
    }

    static OutputStream out(SocketChannel channel) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                synchronized (this) {
                    while (buf.hasRemaining()) {
                        channel.write(buf);
                    }
                }
            }

            @Override
            public void close() throws IOException {
                channel.shutdownOutput();
            }
        };
    }
}
