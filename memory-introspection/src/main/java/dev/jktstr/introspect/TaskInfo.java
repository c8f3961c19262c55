package dev.jktstr.introspect;

/**
 * One task (thread) as the kernel's task_struct describes it.
 *
 * @param state the {@code /proc} state letter (R, S, D, T, t, X, Z, I, ...) derived from {@code __state}
 *     and {@code exit_state}
 * @param schedClass the symbol {@code sched_class} points at, e.g. {@code fair_sched_class}
 * @param cpu the CPU the task last ran on ({@code task_struct.cpu})
 */
public record TaskInfo(int pid, int tgid, String comm, String state, long rawState, String schedClass, int cpu,
                       long address) {

    public boolean isThreadGroupLeader() {
        return pid == tgid;
    }
}
