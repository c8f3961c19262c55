package dev.jktstr.qemu;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running QEMU process, started through {@link QemuProcesses} under {@code setpriv --pdeathsig KILL}. Its stdout and
 * stderr go to a pipe that a thread drains, keeping the last 4 KiB for the exception when QEMU exits while starting.
 */
final class QemuProcess {

    private static final Logger LOG = LoggerFactory.getLogger(QemuProcess.class);
    private static final int OUTPUT_KEPT = 4096;

    private final Process process;
    private final Thread drain;
    private final StringBuilder output = new StringBuilder(); // guarded by itself

    private QemuProcess(Process process, String name) {
        this.process = process;
        this.drain = Thread.ofPlatform().daemon().name(name + "-output").start(this::drainOutput);
    }

    /** Starts {@code qemuArgv}, stdin from /dev/null; {@code name} names its threads. */
    static QemuProcess start(List<String> qemuArgv, String name) throws IOException {
        List<String> argv = new ArrayList<>();
        if (QemuProcesses.hasSetpriv()) {
            argv.addAll(List.of(QemuProcesses.SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        } else {
            LOG.warn("{} missing (util-linux): QEMU may outlive a killed JVM", QemuProcesses.SETPRIV);
        }
        argv.addAll(qemuArgv);
        LOG.debug("starting {}", argv);
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        return new QemuProcess(QemuProcesses.launch(pb), name);
    }

    long pid() {
        return process.pid();
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Whether QEMU exited within {@code timeout}. */
    boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** SIGKILL, without waiting. */
    void kill() {
        process.destroyForcibly();
    }

    /** Gives QEMU {@code grace} to exit (after a QMP {@code quit}, say), then SIGKILLs it and reaps it. */
    void stop(Duration grace) {
        try {
            if (!waitFor(grace)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /**
     * {@code message} with QEMU's exit status if it has exited (given 200 ms to do so) and the last of what it
     * printed: why a start failed.
     */
    String failureDetail(String message) {
        try {
            process.waitFor(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        String log = log();
        String detail = process.isAlive() ? message : message + " (QEMU exited with status " + process.exitValue() + ")";
        return log.isEmpty() ? detail : detail + ": " + log;
    }

    /** What QEMU printed (its stdout and stderr), the last 4 KiB. */
    String log() {
        if (!process.isAlive()) {
            awaitOutputEnd(500); // QEMU has exited; let the drain take its last words
        }
        synchronized (output) {
            return output.toString().strip();
        }
    }

    /** Waits up to {@code millis} for the drain to reach the end of QEMU's output. */
    void awaitOutputEnd(long millis) {
        try {
            drain.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drainOutput() {
        byte[] buf = new byte[4096];
        try (InputStream in = process.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                String text = new String(buf, 0, n, StandardCharsets.UTF_8);
                LOG.debug("qemu: {}", text.strip());
                synchronized (output) {
                    output.append(text);
                    if (output.length() > OUTPUT_KEPT) {
                        output.delete(0, output.length() - OUTPUT_KEPT);
                    }
                }
            }
        } catch (IOException e) {
            // QEMU went away
        }
    }
}
