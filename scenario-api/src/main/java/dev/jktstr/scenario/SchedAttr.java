package dev.jktstr.scenario;

import dev.jktstr.machine.GuestText;
import java.util.ArrayList;
import java.util.List;

/**
 * Sets a policy with parameters ({@link SchedPolicy.Fifo}, {@link SchedPolicy.RoundRobin},
 * {@link SchedPolicy.Deadline}) on workers that are in their cgroup but not yet released, through the agent binary's
 * {@code sched-setattr} mode (guest/src/main/c/sched_tool.c; busybox's chrt knows no SCHED_DEADLINE). The values go
 * as positional parameters; the tool answers one line per worker, so each refusal is reported with its own errno.
 */
final class SchedAttr {
    /** The guest agent is the initramfs's /init; its first argument picks the tool mode. */
    static final String SCRIPT = "exec /init sched-setattr \"$@\"";

    private SchedAttr() {
    }

    /** Whether the agent must set {@code p} (the plain policies each worker sets itself). */
    static boolean needed(SchedPolicy p) {
        return !(p instanceof SchedPolicy.Plain);
    }

    /** The tool's arguments: priority, runtime, deadline, period (ns), policy, then the pids. */
    static String[] args(SchedPolicy p, List<Integer> pids) {
        long prio = 0, runtime = 0, deadline = 0, period = 0;
        switch (p) {
            case SchedPolicy.Fifo f -> prio = f.priority();
            case SchedPolicy.RoundRobin r -> prio = r.priority();
            case SchedPolicy.Deadline d -> {
                runtime = d.runtime().toNanos();
                deadline = d.deadline().toNanos();
                period = d.period().toNanos();
            }
            case SchedPolicy.Plain plain -> { }
        }
        List<String> a = new ArrayList<>(List.of(String.valueOf(prio), String.valueOf(runtime), String.valueOf(deadline),
                String.valueOf(period), String.valueOf(p.number())));
        pids.forEach(pid -> a.add(String.valueOf(pid)));
        return a.toArray(String[]::new);
    }

    /** Applies {@code p} to every pid; any refusal is a {@link ScenarioException} naming each worker and its errno. */
    static void apply(GuestShell shell, String cgroup, SchedPolicy p, List<Integer> pids) {
        List<String> failed = failures(shell.sh(SCRIPT, args(p, pids)), pids.size());
        if (!failed.isEmpty()) {
            throw new ScenarioException("cgroup " + cgroup + ": the kernel refused " + p + " for " + failed.size() + " of "
                    + pids.size() + " workers: " + String.join("; ", failed));
        }
    }

    /** The tool's lines that are not {@code PID ok}, sanitized ("worker 81: EBUSY (errno 16, Device or resource busy)"). */
    static List<String> failures(String out, int expected) {
        List<String> failed = new ArrayList<>();
        List<String> lines = out.lines().limit(expected + 1L).toList();
        for (String line : lines) {
            String[] f = GuestText.line(line, 200).split(" ", 4);
            if (f.length == 2 && f[1].equals("ok")) {
                continue;
            }
            failed.add(f.length == 4 ? "worker " + f[0] + ": " + f[1] + " (errno " + f[2] + ", " + f[3] + ")"
                    : "unreadable answer '" + GuestText.line(line, 200) + "'");
        }
        if (lines.size() != expected) {
            failed.add("the guest answered for " + lines.size() + " of " + expected + " workers");
        }
        return failed;
    }
}
