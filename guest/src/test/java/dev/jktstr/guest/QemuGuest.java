package dev.jktstr.guest;

import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Boots the shared test kernel under QEMU TCG by hand (the qemu module is not used here on purpose) with the agent's
 * control port on a Unix socket, and cleans everything up on close or JVM exit.
 */
final class QemuGuest implements AutoCloseable {
    static final String QEMU = "qemu-system-x86_64";

    final Path dir;
    final Path console;
    final Process qemu;
    final Path socket;
    AgentClient client;
    final Duration connectTime;
    private final Thread killer;

    /** The shared test kernel's directory ({@link SharedAssets}), or a skip. */
    static Path kernelDir() {
        return SharedAssets.requireKernelDir();
    }

    static void assumeQemuAndKernel() {
        HostProgram.require(QEMU, "apt-get install qemu-system-x86");
        SharedAssets.requireBzImage();
    }

    QemuGuest(Path initramfs, String extraCmdline) throws IOException {
        dir = Files.createTempDirectory("jktstr-guest-");
        console = dir.resolve("console.log");
        socket = dir.resolve("ctl.sock");
        List<String> cmd = new ArrayList<>(List.of(QEMU, "-accel", "tcg,thread=single", "-cpu", "max", "-smp", "2", "-m", "512",
                "-nodefaults", "-display", "none", "-no-reboot",
                "-kernel", kernelDir().resolve("bzImage").toString(), "-initrd", initramfs.toString(),
                "-append", ("console=ttyS0 panic=-1 no_timer_check quiet " + extraCmdline).strip(),
                "-serial", "file:" + console,
                "-device", "virtio-serial",
                "-chardev", "socket,id=ctl,path=" + socket + ",server=on,wait=off",
                "-device", "virtserialport,chardev=ctl,name=jktstr.ctl"));
        qemu = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
        killer = new Thread(this::destroy, "jktstr-test-qemu-killer");
        Runtime.getRuntime().addShutdownHook(killer);
        AgentClient c = null;
        long t0 = System.nanoTime();
        try {
            SocketChannel channel = connect(socket, Duration.ofSeconds(20));
            c = AgentClient.connect(channel, Duration.ofSeconds(90));
        } finally {
            if (c == null) {
                System.out.println("QEMU log:\n" + read(dir.resolve("qemu.log")) + "\nconsole tail:\n" + consoleTail(40));
                close();
            }
        }
        client = c;
        connectTime = Duration.ofNanos(System.nanoTime() - t0);
    }

    private SocketChannel connect(Path socket, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (Files.exists(socket)) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return ch;
                } catch (IOException e) {
                    ch.close();
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
            }
            if (!qemu.isAlive()) {
                throw new IOException("QEMU exited with " + qemu.exitValue() + ": " + read(dir.resolve("qemu.log")));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("QEMU did not create " + socket + " within " + timeout);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** Drops the control connection and makes a new one; the agent announces itself again. */
    AgentClient reconnect() throws IOException {
        client.close();
        client = AgentClient.connect(connect(socket, Duration.ofSeconds(10)), Duration.ofSeconds(30));
        return client;
    }

    boolean waitForExit(Duration timeout) throws InterruptedException {
        return qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    String consoleTail(int lines) {
        List<String> all = read(console).lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? new String(Files.readAllBytes(p), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private void destroy() {
        if (qemu.isAlive()) {
            qemu.destroy();
            try {
                if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                qemu.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException ignored) {
            // the JVM is already shutting down; the hook runs anyway
        }
    }
}
