package dev.jktstr.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sched_ext exit as the guest told it: the kernel's kmsg lines ({@code BPF scheduler "qmap" disabled
 * (scx_bpf_error)}, {@code qmap: test triggering error}) and the scheduler's dump of {@code scx_exit_info} in its own
 * output ({@code kworker/u8:3[95] triggered exit kind 1025:}, the backtrace, one section per CPU). Read while the
 * guest runs, since on 6.12 the kernel frees the exit info once disabling ends. Every field is "" (or -1) when the
 * text does not hold it; the text is the guest's (clean before printing).
 *
 * @param kind      the exit kind number ({@code scx_exit_kind}), -1 when not found
 * @param kindName  its name ({@code SCX_EXIT_ERROR_BPF}), "" when unknown
 * @param reason    why, as the kernel words it ({@code scx_bpf_error}, {@code runnable task stall})
 * @param message   the scheduler's or watchdog's message
 * @param task      the task that triggered the exit, {@code comm[pid]}
 * @param cpu       the CPU that task was current on in the dump, -1 when the dump does not say
 * @param backtrace the kernel stack of the exit, one frame per element
 */
public record SchedulerExitText(int kind, String kindName, String reason, String message, String task, int cpu,
        List<String> backtrace) {
    private static final Map<Integer, String> KINDS = Map.of(0, "SCX_EXIT_NONE", 1, "SCX_EXIT_DONE", 64, "SCX_EXIT_UNREG",
            65, "SCX_EXIT_UNREG_BPF", 66, "SCX_EXIT_UNREG_KERN", 67, "SCX_EXIT_SYSRQ", 1024, "SCX_EXIT_ERROR",
            1025, "SCX_EXIT_ERROR_BPF", 1026, "SCX_EXIT_ERROR_STALL");
    private static final Pattern DISABLED = Pattern.compile("BPF scheduler \"([^\"]*)\" disabled \\((.*)\\)\\s*$");
    private static final Pattern TRIGGERED = Pattern.compile("(\\S+\\[\\d+\\]) triggered exit kind (\\d+)");
    private static final Pattern CPU_HEADER = Pattern.compile("^\\s*CPU\\s+(\\d+)\\s*:");
    private static final int MAX_FRAMES = 64;

    public SchedulerExitText {
        backtrace = List.copyOf(backtrace);
    }

    /** Parses {@code kmsg} (the sched_ext lines, oldest first) and the scheduler's {@code output}. */
    static SchedulerExitText parse(List<String> kmsg, String output) {
        String reason = "";
        String message = "";
        String ops = null;
        for (String line : kmsg) {
            Matcher d = DISABLED.matcher(line);
            if (d.find()) {
                ops = d.group(1);
                reason = d.group(2);
                message = "";
            } else if (ops != null && line.startsWith("sched_ext: " + ops + ": ")) {
                message = line.substring(("sched_ext: " + ops + ": ").length()).strip();
            }
        }
        int kind = -1;
        String task = "";
        Matcher t = TRIGGERED.matcher(output);
        int after = 0;
        while (t.find()) { // the latest exit in the output
            task = t.group(1);
            kind = parseKind(t.group(2));
            after = t.end();
        }
        List<String> frames = new ArrayList<>();
        int cpu = -1;
        if (!task.isEmpty()) {
            List<String> lines = output.substring(after).lines().toList();
            boolean inTrace = false;
            int currentCpu = -1;
            for (String raw : lines) {
                String line = raw.strip();
                if (line.equals("Backtrace:")) {
                    inTrace = true;
                    continue;
                }
                if (inTrace) {
                    if (line.isEmpty() || frames.size() >= MAX_FRAMES) {
                        inTrace = false;
                    } else {
                        frames.add(line);
                    }
                    continue;
                }
                Matcher c = CPU_HEADER.matcher(raw);
                if (c.find()) {
                    currentCpu = Integer.parseInt(c.group(1));
                } else if (currentCpu >= 0 && cpu < 0 && line.startsWith("curr=" + task)) {
                    cpu = currentCpu;
                }
            }
        }
        return new SchedulerExitText(kind, KINDS.getOrDefault(kind, ""), reason, message, task, cpu, frames);
    }

    private static int parseKind(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether any part of an exit was found. */
    public boolean found() {
        return kind >= 0 || !reason.isEmpty() || !message.isEmpty();
    }
}
