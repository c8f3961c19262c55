package dev.jktstr.introspect;

import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sched_ext's global state: enable state, ops name, exit info, watchdog, and event counters (6.12's global
 * counters, plus 6.15+'s per-CPU {@code event_stats_cpu} summed over CPUs). Symbol and enum names that changed
 * across kernels are tried in both spellings.
 */
final class ScxWalker {
    private final KernelView view;

    ScxWalker(KernelView view) {
        this.view = view;
    }

    SchedExtState state() {
        List<FieldError> errors = new ArrayList<>();
        String stateName = FieldError.attempt(errors, "scx_ops_enable_state_var", () -> {
            String var = view.hasSymbol("scx_ops_enable_state_var") ? "scx_ops_enable_state_var" : "scx_enable_state_var";
            long v = view.global(var, "atomic_t").field("counter").asLong();
            String enumName = view.btf().find("scx_ops_enable_state", BtfKind.ENUM).isPresent()
                    ? "scx_ops_enable_state" : "scx_enable_state";
            return enumerator(enumName, v).toLowerCase(Locale.ROOT).replaceFirst("^scx_(ops_)?", "");
        });
        Boolean enabled = stateName == null ? null : stateName.equals("enabled");
        String ops = FieldError.attempt(errors, "scx_ops.name", () -> {
            if (view.hasSymbol("scx_ops")) {
                return view.global("scx_ops", "struct sched_ext_ops").field("name").asString();
            }
            long p = view.readLong(view.symbol("scx_root"));
            return p == 0 ? "" : view.object(p, "struct scx_sched").field("ops.name").asString();
        });
        String exitKind = FieldError.attempt(errors, "scx_exit_kind", () ->
                enumerator("scx_exit_kind", view.global("scx_exit_kind", "atomic_t").field("counter").asLong()));
        String[] reason = new String[1];
        String[] msg = new String[1];
        Long[] code = new Long[1];
        FieldError.attempt(errors, "scx_exit_info", () -> {
            long p = view.readLong(view.symbol("scx_exit_info"));
            if (p != 0) {
                GuestObject ei = view.object(p, "struct scx_exit_info");
                code[0] = FieldError.attempt(errors, "scx_exit_info.exit_code", () -> ei.field("exit_code").asLong());
                reason[0] = FieldError.attempt(errors, "scx_exit_info.reason",
                        () -> ei.field("reason").isNull() ? "" : ei.field("reason").asString());
                msg[0] = FieldError.attempt(errors, "scx_exit_info.msg",
                        () -> ei.field("msg").isNull() ? "" : ei.field("msg").asString());
            }
            return null;
        });
        Long watchdog = FieldError.attempt(errors, "scx_watchdog_timeout",
                () -> view.readLong(view.symbol("scx_watchdog_timeout")));
        Boolean switchingAll = FieldError.attempt(errors, "scx_switching_all",
                () -> view.readBytes(view.symbol("scx_switching_all"), 1)[0] != 0);
        Map<String, Long> events = new LinkedHashMap<>();
        counter(errors, events, "nr_rejected", "scx_nr_rejected");
        counter(errors, events, "enable_seq", "scx_enable_seq");
        counter(errors, events, "hotplug_seq", "scx_hotplug_seq");
        counter(errors, events, "bypass_depth", "scx_ops_bypass_depth");
        perCpuEvents(errors, events);
        return new SchedExtState(enabled, stateName, ops, exitKind, reason[0], msg[0], code[0], watchdog, switchingAll,
                events, errors);
    }

    private void counter(List<FieldError> errors, Map<String, Long> events, String name, String symbol) {
        if (view.hasSymbol(symbol)) {
            Long v = FieldError.attempt(errors, symbol, () -> view.readLong(view.symbol(symbol)));
            if (v != null) {
                events.put(name, name.equals("bypass_depth") ? (long) (int) (long) v : v);
            }
        }
    }

    /** Kernels with {@code struct scx_event_stats} (6.15+) keep per-CPU event counters; sum them. */
    private void perCpuEvents(List<FieldError> errors, Map<String, Long> events) {
        var statsType = view.btf().find("scx_event_stats", BtfKind.STRUCT);
        if (statsType.isEmpty() || !view.hasSymbol("event_stats_cpu")) {
            return;
        }
        FieldError.attempt(errors, "event_stats_cpu", () -> {
            BtfType.Composite c = (BtfType.Composite) view.types().type(view.btf(), statsType.getAsInt());
            for (int cpu : view.perCpu().onlineCpus()) {
                GuestObject s = view.percpu("event_stats_cpu", cpu);
                for (BtfType.Member m : c.members()) {
                    events.merge(m.name(), s.field(m.name()).asLong(), Long::sum);
                }
            }
            return null;
        });
    }

    private String enumerator(String enumName, long value) {
        int id = view.btf().find(enumName, BtfKind.ENUM).orElseThrow(
                () -> new IntrospectionException("no enum " + enumName + " in the kernel's BTF"));
        for (BtfType.Enumerator e : ((BtfType.Enum) view.types().type(view.btf(), id)).values()) {
            if (e.value() == value) {
                return e.name();
            }
        }
        return Long.toString(value);
    }
}
