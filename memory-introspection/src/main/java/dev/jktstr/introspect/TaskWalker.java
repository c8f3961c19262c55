package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Tasks: thread-group leaders from {@code init_task.tasks} and their threads from {@code signal->thread_head},
 * decoded into {@link TaskInfo}. Every list walked shares the snapshot's node budget and {@link #MAX_TASKS}.
 */
final class TaskWalker {
    /** More tasks than any test guest runs; a longer list is treated as corrupt. */
    static final int MAX_TASKS = 100_000;

    private final KernelView view;
    private final SnapshotBudget budget;

    TaskWalker(KernelView view, SnapshotBudget budget) {
        this.view = view;
        this.budget = budget;
    }

    /**
     * Every task: thread-group leaders from {@code init_task.tasks}, and with {@code threads} each
     * leader's other threads from {@code signal->thread_head}. The idle tasks (pid 0) are not listed,
     * as in /proc.
     */
    List<TaskInfo> tasks(boolean threads, List<FieldError> errors) {
        List<TaskInfo> out = new ArrayList<>();
        List<GuestObject> leaders = FieldError.attempt(errors, "init_task.tasks", () -> {
            long head = view.global("init_task", "task_struct").field("tasks").address();
            return KernelLists.entries(view, head, "task_struct", "tasks", (int) Math.min(MAX_TASKS, budget.nodesLeft()));
        });
        if (leaders == null) {
            return out;
        }
        if (FieldError.attempt(errors, "init_task.tasks", () -> {
            budget.nodes(leaders.size(), "init_task.tasks");
            return true;
        }) == null) {
            return out;
        }
        Set<Long> seen = new HashSet<>();
        Set<Long> threadLists = new HashSet<>();
        for (GuestObject leader : leaders) {
            List<GuestObject> members = List.of(leader);
            if (threads) {
                // Each thread list is walked once, and all of them together share the snapshot's node budget
                // (and MAX_TASKS), so leaders sharing one list cannot make this quadratic.
                String at = "task@" + KernelView.hex(leader.address()) + ".signal.thread_head";
                List<GuestObject> group = FieldError.attempt(errors, at, () -> {
                    long head = leader.field("signal").deref().field("thread_head").address();
                    if (!threadLists.add(head)) {
                        return List.<GuestObject>of(); // walked already for another leader
                    }
                    int max = (int) Math.max(0, Math.min(MAX_TASKS - out.size(), budget.nodesLeft()));
                    List<GuestObject> g = KernelLists.entries(view, head, "task_struct", "thread_node", max);
                    budget.nodes(g.size(), at);
                    return g;
                });
                if (group != null && !group.isEmpty()) {
                    members = group;
                }
            }
            for (GuestObject t : members) {
                if (out.size() >= MAX_TASKS) {
                    errors.add(new FieldError("tasks", CorruptGuestDataException.class.getSimpleName(),
                            "more than " + MAX_TASKS + " tasks"));
                    return out;
                }
                if (seen.add(t.address())) {
                    TaskInfo info = FieldError.attempt(errors, "task@" + KernelView.hex(t.address()), () -> task(t));
                    if (info != null) {
                        out.add(info);
                    }
                }
            }
        }
        return out;
    }

    /** One task_struct decoded. */
    TaskInfo task(GuestObject t) {
        int pid = t.field("pid").asInt();
        int tgid = t.field("tgid").asInt();
        String comm = t.field("comm").asString();
        long state = t.field("__state").asLong();
        long exitState = t.field("exit_state").asLong();
        String cls;
        try {
            cls = view.symbolName(t.field("sched_class").pointerValue());
        } catch (IntrospectionException e) {
            cls = "?";
        }
        boolean hasCpu = view.types().member(view.btf(), t.typeId(), "cpu") != null;
        int cpu = (hasCpu ? t.field("cpu") : t.field("thread_info.cpu")).asInt();
        return new TaskInfo(pid, tgid, comm, stateLetter(state, exitState), state, cls, cpu, t.address());
    }

    /** The /proc state letter, as fs/proc/array.c's task_state_array orders them. */
    static String stateLetter(long state, long exitState) {
        long s = (state | exitState) & 0x7F;
        if (state == 0x402) {
            return "I"; // TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD
        }
        if (s == 0) {
            return "R";
        }
        String letters = "SDTtXZP";
        int bit = Long.numberOfTrailingZeros(s);
        return bit < letters.length() ? String.valueOf(letters.charAt(bit)) : "?";
    }
}
