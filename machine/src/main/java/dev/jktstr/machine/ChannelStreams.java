package dev.jktstr.machine;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Blocking streams over one byte channel (a {@code SocketChannel} to a chardev socket, say), written by hand because
 * the streams from {@link java.nio.channels.Channels} serialise reads and writes on one lock, and the agent protocol
 * reads and writes from different threads at once (as a {@link GuestPort}'s may). Each stream's {@code close()} runs
 * the action it is given: closing the channel, or half-closing a socket ({@link #halfClosingIn}/{@link #halfClosingOut}).
 * Backends build their ports' streams with it (QEMU's chardev sockets), the agent client its streams over a channel it
 * is handed.
 */
public final class ChannelStreams {

    /** What a read does when another thread closes the channel under it. */
    public enum OnAsyncClose {
        /** The read throws the {@link AsynchronousCloseException}. */
        THROW,
        /** The read reports end of stream. */
        END_OF_STREAM
    }

    private ChannelStreams() {
    }

    /** An input stream reading {@code channel} (blocking mode), whose {@code close()} runs {@code onClose}. */
    public static InputStream in(ReadableByteChannel channel, Closeable onClose, OnAsyncClose onAsyncClose) {
        return new InputStream() {
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
                try {
                    do {
                        n = channel.read(ByteBuffer.wrap(b, off, len));
                    } while (n == 0);
                } catch (AsynchronousCloseException e) {
                    if (onAsyncClose == OnAsyncClose.END_OF_STREAM) {
                        return -1;
                    }
                    throw e;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                onClose.close();
            }
        };
    }

    /**
     * An output stream writing all of each buffer to {@code channel} (blocking mode), one write at a time, whose
     * {@code close()} runs {@code onClose}.
     */
    public static OutputStream out(WritableByteChannel channel, Closeable onClose) {
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
                onClose.close();
            }
        };
    }

    /**
     * An input stream over a connected socket whose {@code close()} half-closes it ({@code shutdownInput}), so the input
     * and the output of one socket end apart; a read that another thread's close interrupts reports end of stream.
     */
    public static InputStream halfClosingIn(SocketChannel socket) {
        return in(socket, socket::shutdownInput, OnAsyncClose.END_OF_STREAM);
    }

    /** An output stream over a connected socket whose {@code close()} half-closes it ({@code shutdownOutput}). */
    public static OutputStream halfClosingOut(SocketChannel socket) {
        return out(socket, socket::shutdownOutput);
    }
}
