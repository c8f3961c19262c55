package dev.jktstr.qemu;

import dev.jktstr.machine.ChannelStreams;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;

/**
 * Blocking streams over one socket channel ({@link ChannelStreams}: reads and writes proceed concurrently) whose
 * {@code close()} half-closes the socket, so the input and the output of one chardev socket end apart. A read that
 * another thread's close interrupts reports end of stream.
 */
final class SocketStreams {

    private SocketStreams() {
    }

    static InputStream in(SocketChannel channel) {
        return ChannelStreams.in(channel, channel::shutdownInput, ChannelStreams.OnAsyncClose.END_OF_STREAM);
    }

    static OutputStream out(SocketChannel channel) {
        return ChannelStreams.out(channel, channel::shutdownOutput);
    }
}
