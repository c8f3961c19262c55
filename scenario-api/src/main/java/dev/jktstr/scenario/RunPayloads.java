package dev.jktstr.scenario;

import dev.jktstr.guest.AgentException;
import dev.jktstr.guest.BackgroundPrograms;
import dev.jktstr.machine.GuestText;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The payloads of one run ({@link Op#runPayload}, {@link Op#waitPayload}, {@link Op#killPayload}): started in the
 * background through the agent ({@link BackgroundPrograms}, each in a directory of the run's under
 * {@value #GUEST_DIR}), waited for by polling their end at {@link #POLL} until a deadline, killed with SIGKILL to
 * their process group. A payload that cannot start, a wait that times out and a kill whose end never shows are
 * failures of that op ({@link RunRecord#opFailed}), not of the run: it goes on. {@link #finish()} kills and reaps
 * what still runs and removes the run's directory; {@link #judge} puts each end in the verdict's notes and makes the
 * {@link Payload#expectExit} claims.
 */
final class RunPayloads {
    /** Where payload directories live in the guest. */
    static final String GUEST_DIR = "/tmp/jktstr-payloads";
    static final Duration POLL = Duration.ofMillis(50);
    /** How long a killed payload's end may take to show (the supervisor writes it as soon as it is reaped). */
    static final Duration KILL_GRACE = Duration.ofSeconds(10);
    private static final AtomicLong RUNS = new AtomicLong();

    private final RunRecord record;
    private final GuestShell shell;
    private final BackgroundPrograms programs;
    private final String runDir = GUEST_DIR + "/run-" + RUNS.incrementAndGet();
    private final Map<String, Entry> payloads = new LinkedHashMap<>();

    /** One started payload: its op, where it runs, its end once known. */
    private static final class Entry {
        final Op.RunPayload op;
        final int step;
        final String dir;
        int pid;
        String killed;
        PayloadResult result;

        Entry(Op.RunPayload op, int step, String dir) {
            this.op = op;
            this.step = step;
            this.dir = dir;
        }
    }

    RunPayloads(Ctx ctx, RunRecord record) {
        this.record = record;
        this.shell = ctx.shell();
        this.programs = new BackgroundPrograms(ctx.agent());
    }

    /** Copies every payload binary of {@code steps} into the guest: before the run's clock starts. */
    static void install(Ctx ctx, List<Step> steps) {
        java.util.Set<String> done = new java.util.HashSet<>();
        for (Step s : steps) {
            for (Op op : s.ops()) {
                if (op instanceof Op.RunPayload rp && rp.payload().binary().isPresent()
                        && done.add(rp.payload().guestBinaryPath())) {
                    GuestBinary.upload(ctx.agent(), rp.payload().binary().get(), rp.payload().guestBinaryPath(),
                            Duration.ofSeconds(60));
                }
            }
        }
    }

    /** Starts the payload, in the cgroup directory {@code cgroupPath} when given. */
    void start(Op.RunPayload op, Optional<String> cgroupPath) {
        Entry e = new Entry(op, record.step, runDir + "/" + op.name());
        payloads.put(op.name(), e);
        try {
            e.pid = programs.start(e.dir, cgroupPath.orElse(""), PayloadResult.OUTPUT_TAIL, op.payload().guestArgv());
            record.event(TimelineEvent.PAYLOAD_STARTED, op.name() + " started (pid " + e.pid + ")");
        } catch (AgentException ex) {
            if (ex.errnoName().isEmpty()) {
                throw ex; // the agent itself failed, not the payload
            }
            e.result = result(e, PayloadResult.End.NOT_STARTED, -1, 0, "", 0, 0, Duration.ZERO, ex.getMessage());
            record.opFailed("step " + e.step + ": runPayload " + op.name() + ": " + ex.getMessage());
        }
    }

    /** Waits until the payload has ended, at most {@code timeout}; still running then is this op's failure. */
    void await(String name, Duration timeout) {
        Entry e = get(name);
        if (!poll(e, timeout)) {
            record.opFailed("step " + record.step + ": waitPayload " + name + ": still running after " + timeout.toMillis()
                    + " ms (it runs on; the run kills it at its end)");
        }
    }

    /** Kills the payload and reaps it; one that has ended is left alone. */
    void kill(String name) {
        kill(get(name), "killPayload at step " + record.step);
    }

    /** Kills and reaps every payload still running and removes the run's guest directory; best effort per payload. */
    void finish() {
        RuntimeException first = null;
        for (Entry e : payloads.values()) {
            try {
                kill(e, "still running at the end of the run");
            } catch (RuntimeException ex) {
                first = first == null ? ex : first;
            }
        }
        if (!payloads.isEmpty()) {
            try {
                shell.sh("rm -rf \"$1\"", runDir);
            } catch (RuntimeException ex) {
                first = first == null ? ex : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Every payload of the run in start order, each with its end (after {@link #finish()}). */
    List<PayloadResult> results() {
        return payloads.values().stream().map(e -> e.result).filter(java.util.Objects::nonNull).toList();
    }

    /** Each payload's end as a note (with the tail of its output) and the claims of {@link Payload#expectExit}. */
    void judge(Verdict verdict) {
        for (Entry e : payloads.values()) {
            PayloadResult r = e.result;
            if (r == null) {
                continue;
            }
            String out = r.output().strip();
            verdict.note(r.describe() + (out.isEmpty() ? "" : "; output: " + (out.length() > 300
                    ? "…" + out.substring(out.length() - 300) : out)));
            e.op.payload().expectedExit().ifPresent(x -> verdict.claim(PayloadResult::exitCode, r)
                    .detail(r.end() == PayloadResult.End.EXITED ? "" : r.describe()).eq(x));
        }
    }

    private void kill(Entry e, String why) {
        if (e.result != null) {
            return;
        }
        if (programs.ended(e.dir).isEmpty()) {
            programs.kill(e.dir, e.pid);
            e.killed = why;
        }
        if (!poll(e, KILL_GRACE)) {
            e.result = result(e, PayloadResult.End.UNKNOWN, -1, 0, "", 0, 0, Duration.ZERO,
                    "killed, but no end reported within " + KILL_GRACE.toSeconds() + " s");
            record.opFailed("step " + record.step + ": " + why + ": payload " + e.op.name() + " " + e.result.error());
        }
    }

    /** Polls the payload's end for at most {@code timeout}; whether it ended (its result is then set). */
    private boolean poll(Entry e, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            if (e.result != null) {
                return true;
            }
            Optional<BackgroundPrograms.Ended> end = programs.ended(e.dir);
            if (end.isPresent()) {
                BackgroundPrograms.Ended x = end.get();
                e.result = result(e, x.signaled() ? PayloadResult.End.SIGNALED : PayloadResult.End.EXITED,
                        x.signaled() ? -1 : x.code(), x.signaled() ? x.code() : 0,
                        GuestText.lines(x.outputTail(), 4 * PayloadResult.OUTPUT_TAIL), x.outputBytes(), x.droppedBytes(),
                        x.elapsed(), "");
                record.event(TimelineEvent.PAYLOAD_ENDED, e.result.describe());
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                Thread.sleep(Duration.ofNanos(Math.min(left, POLL.toNanos())));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new ScenarioException("interrupted while waiting for payload " + e.op.name());
            }
        }
    }

    private PayloadResult result(Entry e, PayloadResult.End end, int exit, int signal, String output, long bytes,
            long dropped, Duration elapsed, String error) {
        return new PayloadResult(e.op.name(), e.op.payload().describe(), e.op.cgroup(), e.step, end, exit, signal,
                Optional.ofNullable(end == PayloadResult.End.SIGNALED || end == PayloadResult.End.UNKNOWN ? e.killed : null), output, bytes, dropped, elapsed, GuestText.line(error, 1000));
    }

    private Entry get(String name) {
        Entry e = payloads.get(name);
        if (e == null) {
            throw new ScenarioException("no payload '" + name + "' was started"); // the validator refuses this first
        }
        return e;
    }
}
