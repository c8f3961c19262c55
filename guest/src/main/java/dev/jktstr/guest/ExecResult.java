package dev.jktstr.guest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The outcome of a command run by the agent.
 *
 * @param exitCode        the exit status, or -1 when a signal ended the command
 * @param signal          the signal that ended the command, or 0 when it exited
 * @param timedOut        the agent killed the command (SIGKILL to its process group) at its timeout
 * @param stdout          captured standard output, at most the agent's capture limit
 * @param stderr          captured standard error, at most the agent's capture limit
 * @param stdoutTruncated stdout had more bytes than the limit; the rest was discarded
 * @param stderrTruncated stderr had more bytes than the limit; the rest was discarded
 * @param elapsed         wall time in the guest from fork to exit
 */
public record ExecResult(int exitCode, int signal, boolean timedOut, byte[] stdout, byte[] stderr,
                         boolean stdoutTruncated, boolean stderrTruncated, Duration elapsed) {

    /** Exited with status 0, not killed, not timed out. */
    public boolean succeeded() {
        return exitCode == 0 && signal == 0 && !timedOut;
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ExecResult[" + (signal != 0 ? "signal " + signal : "exit " + exitCode) + (timedOut ? ", timed out" : "")
                + ", stdout " + stdout.length + (stdoutTruncated ? "+" : "") + " bytes, stderr " + stderr.length
                + (stderrTruncated ? "+" : "") + " bytes, " + elapsed.toMillis() + " ms]";
    }
}
