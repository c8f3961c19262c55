package dev.jktstr.introspect;

import java.util.List;
import java.util.Map;

/**
 * sched_ext's global state. Field names follow the 6.12 kernel; counters adapt to what the kernel's
 * BTF and symbols offer (newer kernels' {@code scx_event_stats} are summed over CPUs into
 * {@link #events()}). Null where unreadable (see {@link #errors()}).
 *
 * @param enableState the state as /sys/kernel/sched_ext/state prints it: enabling, enabled, disabling, disabled
 * @param opsName the BPF scheduler's name as /sys/kernel/sched_ext/root/ops prints it (empty when none)
 * @param exitKind the {@code scx_exit_kind} enumerator name, e.g. SCX_EXIT_NONE, SCX_EXIT_ERROR
 * @param exitReason and {@code exitMessage}: from {@code scx_exit_info} after the scheduler exited
 * @param watchdogTimeoutJiffies {@code scx_watchdog_timeout}
 */
public record SchedExtState(Boolean enabled, String enableState, String opsName, String exitKind, String exitReason,
                            String exitMessage, Long exitCode, Long watchdogTimeoutJiffies, Boolean switchingAll,
                            Map<String, Long> events, List<FieldError> errors) {
    public SchedExtState {
        events = Map.copyOf(events);
        errors = List.copyOf(errors);
    }
}
