package dev.jktstr.qemu;

import dev.jktstr.machine.ChannelStreams;
import dev.jktstr.machine.ConsoleLog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Copies the serial console socket into a {@link ConsoleLog} on its own thread, and ends the log when the socket ends. */
final class ConsolePump {

    private static final Logger LOG = LoggerFactory.getLogger(ConsolePump.class);

    private final Thread thread;

    private ConsolePump(SocketChannel serial, ConsoleLog console, String name) {
        this.thread = Thread.ofPlatform().daemon().name(name + "-console").start(() -> pump(serial, console));
    }

    /** Starts pumping; {@code name} names the thread. */
    static ConsolePump start(SocketChannel serial, ConsoleLog console, String name) {
        return new ConsolePump(serial, console, name);
    }

    private static void pump(SocketChannel serial, ConsoleLog console) {
        byte[] buf = new byte[8192];
        try (InputStream in = ChannelStreams.halfClosingIn(serial)) {
            int n;
            while ((n = in.read(buf, 0, buf.length)) > 0) {
                console.append(buf, 0, n);
            }
        } catch (IOException e) {
            LOG.debug("console pump ended: {}", e.toString());
        } finally {
            console.end();
        }
    }

    /** Waits up to {@code millis} for the pump to reach the end of the console. */
    void join(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
