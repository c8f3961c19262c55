package dev.jktstr.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts QEMU processes and makes sure none outlives the JVM.
 *
 * <p>QEMU runs under {@code setpriv --pdeathsig KILL}, so the kernel kills it when its parent goes
 * away, even on SIGKILL of the JVM. The parent-death signal fires when the <em>thread</em> that forked
 * the child exits, not the process, so every QEMU is forked from one daemon thread that lives as long
 * as the JVM. A shutdown hook additionally closes every live machine on an orderly exit, which also
 * removes its temp files.
 */
final class QemuProcesses {

    static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private static final Set<QemuMachine> LIVE = ConcurrentHashMap.newKeySet();
    private static final ExecutorService LAUNCHER = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("jktstr-qemu-launcher").unstarted(r));

    static {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("jktstr-qemu-reaper").unstarted(() -> {
            for (QemuMachine m : LIVE) {
                m.killOnJvmExit();
            }
        }));
    }

    private QemuProcesses() {
    }

    static boolean hasSetpriv() {
        return Files.isExecutable(SETPRIV);
    }

    static Process launch(ProcessBuilder builder) throws IOException {
        Future<Process> f = LAUNCHER.submit(builder::start);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(false);
            throw new IOException("interrupted while starting QEMU");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("starting QEMU failed", e.getCause());
        }
    }

    static void register(QemuMachine m) {
        LIVE.add(m);
    }

    static void unregister(QemuMachine m) {
        LIVE.remove(m);
    }

    static int liveCount() {
        return LIVE.size();
    }
}
