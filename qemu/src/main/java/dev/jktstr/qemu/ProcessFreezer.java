package dev.jktstr.qemu;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.nativeio.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Stops a whole process with SIGSTOP and waits, through {@code /proc/<pid>/task/*}{@code /stat}, until every one of its
 * threads is stopped: a few hundred microseconds for QEMU, against about a millisecond for each of QMP's {@code stop}
 * and {@code cont}, which wait for QEMU's main loop. SIGCONT thaws it. Thread-safe.
 */
final class ProcessFreezer {

    private final ProcessHandle process;
    private boolean frozen; // guarded by this

    ProcessFreezer(ProcessHandle process) {
        this.process = process;
    }

    /**
     * Freezes the process (nothing to do when already frozen). False when some thread did not stop within
     * {@code timeout}: it is thawed again then.
     */
    synchronized boolean freeze(Duration timeout) {
        if (frozen) {
            return true;
        }
        long pid = process.pid();
        Libc.kill(pid, LibcH.SIGSTOP);
        frozen = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allThreadsStopped(pid)) {
            if (System.nanoTime() > deadline) {
                thaw();
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** SIGCONT, if this froze it and it still lives. */
    synchronized void thaw() {
        if (frozen) {
            frozen = false;
            if (process.isAlive()) {
                Libc.kill(process.pid(), LibcH.SIGCONT);
            }
        }
    }

    synchronized boolean isFrozen() {
        return frozen;
    }

    /** Whether /proc says every thread of {@code pid} is stopped (state T or t). */
    static boolean allThreadsStopped(long pid) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                char state = state(Files.readString(task.resolve("stat")));
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false; // a thread that went away while listing: look again
        }
    }

    /** The state letter of a {@code /proc/.../stat} line, '?' if there is none. */
    static char state(String stat) {
        // "pid (comm) S ...": the state follows the last ')', since comm may hold one
        int close = stat.lastIndexOf(')');
        return close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
    }
}
