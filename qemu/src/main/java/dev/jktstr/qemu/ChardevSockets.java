package dev.jktstr.qemu;

import dev.jktstr.machine.RunDirectory;
import dev.jktstr.machine.ChannelStreams;
import dev.jktstr.machine.GuestPort;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineSpec;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UNIX sockets QEMU's chardevs connect to, in a per-boot temp dir: QMP, the serial console, the control port and
 * one per extra virtio console port. Java listens before QEMU starts and QEMU connects to each as a client, so no
 * output is lost and nothing races a socket appearing. Once everything is connected the names can go
 * ({@link #removeNames()}); the connections live on.
 */
final class ChardevSockets implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChardevSockets.class);

    /**
     * The connections QEMU made; the control port and the extra ports (by name, in the spec's order) as {@link GuestPort}s
     * whose streams half-close their socket, so each direction ends apart.
     */
    record Connections(SocketChannel qmp, SocketChannel serial, GuestPort control, Map<String, GuestPort> ports) {}

    private final Path dir;
    private final List<String> portNames;
    private final QemuCommandLine.Paths paths;
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final List<SocketChannel> channels = new ArrayList<>();

    private ChardevSockets(Path dir, List<String> portNames) {
        this.dir = dir;
        this.portNames = List.copyOf(portNames);
        List<Path> portPaths = new ArrayList<>();
        for (int i = 0; i < portNames.size(); i++) {
            portPaths.add(dir.resolve("port" + i + ".sock"));
        }
        this.paths = new QemuCommandLine.Paths(dir.resolve("qmp.sock"), dir.resolve("serial.sock"),
                dir.resolve("ctl.sock"), portPaths);
    }

    /** Makes the temp dir for one boot's sockets, with extra ports named {@code portNames}. */
    static ChardevSockets inTempDir(List<String> portNames) {
        try {
            return new ChardevSockets(Files.createTempDirectory("jktstr-qemu-"), portNames);
        } catch (IOException e) {
            throw new MachineException("cannot create a temp dir for QEMU sockets: " + e.getMessage(), e);
        }
    }

    /** Where QEMU is to connect. */
    QemuCommandLine.Paths paths() {
        return paths;
    }

    /** Listens on every socket; call before QEMU starts. */
    void listen() throws IOException {
        listen(paths.qmp());
        listen(paths.serial());
        listen(paths.control());
        for (Path p : paths.ports()) {
            listen(p);
        }
    }

    private void listen(Path path) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        servers.add(s);
        s.bind(UnixDomainSocketAddress.of(path));
        s.configureBlocking(false);
    }

    /**
     * Takes QEMU's connection on every socket, in the order QEMU makes them, closing each listener once taken. While
     * it waits it calls {@code whileWaiting} with what it waits for ("QMP", "serial console", ...) every few ms,
     * which throws to give up (QEMU exited, the start timed out).
     */
    Connections accept(Consumer<String> whileWaiting) throws IOException {
        SocketChannel qmp = accept(servers.get(0), "QMP", whileWaiting);
        SocketChannel serial = accept(servers.get(1), "serial console", whileWaiting);
        GuestPort control = port(MachineSpec.CONTROL_PORT, accept(servers.get(2), "control port", whileWaiting));
        Map<String, GuestPort> ports = new LinkedHashMap<>();
        for (int i = 0; i < portNames.size(); i++) {
            String name = portNames.get(i);
            ports.put(name, port(name, accept(servers.get(3 + i), "port " + name, whileWaiting)));
        }
        return new Connections(qmp, serial, control, Collections.unmodifiableMap(ports));
    }

    private static GuestPort port(String name, SocketChannel socket) {
        return new GuestPort(name, ChannelStreams.halfClosingIn(socket), ChannelStreams.halfClosingOut(socket));
    }

    private SocketChannel accept(ServerSocketChannel server, String what, Consumer<String> whileWaiting)
            throws IOException {
        while (true) {
            SocketChannel c = server.accept();
            if (c != null) {
                c.configureBlocking(true);
                channels.add(c);
                server.close();
                return c;
            }
            whileWaiting.accept(what);
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MachineException("interrupted while starting QEMU");
            }
        }
    }

    /** Removes the temp dir and the socket names in it; connections made stay open. */
    void removeNames() {
        RunDirectory.deleteTree(dir).forEach(left -> LOG.warn("cannot remove {}", left));
    }

    /** Closes every connection and listener; the names stay until {@link #removeNames()}. */
    @Override
    public void close() {
        for (SocketChannel c : channels) {
            closeQuietly(c);
        }
        for (ServerSocketChannel s : servers) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // releasing anyway
        }
    }
}
