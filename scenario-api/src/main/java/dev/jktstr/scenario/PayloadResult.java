package dev.jktstr.scenario;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one payload of a run ended ({@link RunResult#payloads()}, the result file's {@code payloads[]}). A claim subject:
 * {@code v.claim(PayloadResult::exitCode, r.payload("probe")).eq(0)} is labelled {@code payload:probe.exitCode}, which
 * is the claim {@link Payload#expectExit} makes.
 *
 * @param name         the payload's name in the scenario
 * @param command      what ran ({@link Payload#describe()})
 * @param cgroup       the scenario cgroup it ran in, if any
 * @param step         the step that started it (1-based)
 * @param end          how it ended
 * @param exitCode     its exit status when it {@link End#EXITED}, else -1
 * @param signal       the signal that ended it when {@link End#SIGNALED}, else 0
 * @param killed       why the run killed it (SIGKILL), if it did: {@link Op#killPayload} or the run's end
 * @param output       the tail of its stdout and stderr together (guest text, cleaned: controls escaped)
 * @param outputBytes  how many bytes it wrote in all
 * @param droppedBytes how many of those were not kept (the oldest: the tail is {@link #OUTPUT_TAIL} bytes)
 * @param elapsed      from its start to its end, in the guest (zero when it did not start)
 * @param error        why it did not start ({@code ENOENT: exec /bin/nope: No such file or directory}) or why its end is
 *                     unknown; "" otherwise
 */
public record PayloadResult(String name, String command, Optional<String> cgroup, int step, End end, int exitCode, int signal,
        Optional<String> killed, String output, long outputBytes, long droppedBytes, Duration elapsed, String error)
        implements Labeled {

    /** Bytes of a payload's output kept: the last ones. */
    public static final int OUTPUT_TAIL = 64 << 10;

    /** How a payload ended. */
    public enum End {
        /** It exited ({@link #exitCode()}). */
        EXITED,
        /** A signal ended it ({@link #signal()}; {@link #killed()} says when the run sent it). */
        SIGNALED,
        /** It never ran: the guest could not join its cgroup or execute it ({@link #error()}, with the errno). */
        NOT_STARTED,
        /** It was killed but its end could not be read back ({@link #error()}). */
        UNKNOWN
    }

    public PayloadResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(end, "end");
        cgroup = cgroup == null ? Optional.empty() : cgroup;
        killed = killed == null ? Optional.empty() : killed;
        output = output == null ? "" : output;
        error = error == null ? "" : error;
        elapsed = elapsed == null ? Duration.ZERO : elapsed;
    }

    @Override
    public String label() {
        return "payload:" + name;
    }

    /** One line: {@code payload probe (sh -c 'exit 3'): exited 3 after 12 ms, 3 bytes of output}. */
    public String describe() {
        String how = switch (end) {
            case EXITED -> "exited " + exitCode;
            case SIGNALED -> "ended by " + signalName(signal);
            case NOT_STARTED -> "did not start: " + error;
            case UNKNOWN -> "end unknown: " + error;
        };
        String after = end == End.NOT_STARTED ? "" : " after " + elapsed.toMillis() + " ms, " + outputBytes + " bytes of output"
                + (droppedBytes > 0 ? " (the first " + droppedBytes + " dropped)" : "");
        return "payload " + name + " (" + command + "): " + how + killed.map(k -> " (killed: " + k + ")").orElse("") + after;
    }

    /** {@code SIGKILL (9)}, or {@code signal 42}. */
    static String signalName(int signal) {
        String n = switch (signal) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 4 -> "SIGILL";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 13 -> "SIGPIPE";
            case 14 -> "SIGALRM";
            case 15 -> "SIGTERM";
            default -> null;
        };
        return n == null ? "signal " + signal : n + " (" + signal + ")";
    }
}
