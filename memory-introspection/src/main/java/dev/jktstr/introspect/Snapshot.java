package dev.jktstr.introspect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.jktstr.machine.GuestText;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The kernel's scheduler state read while every vCPU was paused: consistent across all fields.
 *
 * @param takenAt wall-clock time of the pause
 * @param monotonicNanos {@link System#nanoTime()} at the pause, for intervals between snapshots
 * @param pausedNanos how long the vCPUs stayed paused (pause to resume)
 * @param progs BPF programs, empty unless the snapshot was asked to include them
 * @param tasks empty unless the snapshot was asked to include tasks
 * @param errors every field that could not be read (the walkers' own errors included)
 */
public record Snapshot(Instant takenAt, long monotonicNanos, long pausedNanos, List<RunqueueState> runqueues,
                       SchedExtState schedExt, List<DsqState> dsqs, List<BpfMapState> maps, List<BpfProgState> progs,
                       List<TaskInfo> tasks, List<FieldError> errors) {
    private static final JsonFactory JSON = TerminalSafeJson.FACTORY;

    public Snapshot {
        runqueues = List.copyOf(runqueues);
        dsqs = List.copyOf(dsqs);
        maps = List.copyOf(maps);
        progs = List.copyOf(progs);
        tasks = List.copyOf(tasks);
        errors = List.copyOf(errors);
    }

    /** A snapshot without BPF programs (the shape before programs were walked). */
    public Snapshot(Instant takenAt, long monotonicNanos, long pausedNanos, List<RunqueueState> runqueues,
            SchedExtState schedExt, List<DsqState> dsqs, List<BpfMapState> maps, List<TaskInfo> tasks,
            List<FieldError> errors) {
        this(takenAt, monotonicNanos, pausedNanos, runqueues, schedExt, dsqs, maps, List.of(), tasks, errors);
    }

    /** The program with this id. */
    public java.util.Optional<BpfProgState> prog(int id) {
        return progs.stream().filter(p -> p.id() == id).findFirst();
    }

    /** The runqueue of {@code cpu}, if it was online. */
    public java.util.Optional<RunqueueState> runqueue(int cpu) {
        return runqueues.stream().filter(r -> r.cpu() == cpu).findFirst();
    }

    /** The first map with this name. */
    public java.util.Optional<BpfMapState> map(String name) {
        return maps.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** Every field error: the snapshot's own and those inside runqueues, sched_ext state and maps. */
    public List<FieldError> allErrors() {
        java.util.ArrayList<FieldError> all = new java.util.ArrayList<>(errors);
        runqueues.forEach(r -> all.addAll(r.errors()));
        if (schedExt != null) {
            all.addAll(schedExt.errors());
        }
        maps.forEach(m -> all.addAll(m.errors()));
        progs.forEach(p -> all.addAll(p.errors()));
        return all;
    }

    public String toJson() {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            writeJson(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    public void writeJson(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("taken_at", takenAt.toString());
        g.writeNumberField("monotonic_ns", monotonicNanos);
        g.writeNumberField("paused_ns", pausedNanos);
        g.writeArrayFieldStart("runqueues");
        for (RunqueueState r : runqueues) {
            g.writeStartObject();
            g.writeNumberField("cpu", r.cpu());
            num(g, "nr_running", r.nrRunning());
            num(g, "clock", r.clock());
            num(g, "curr_pid", r.currPid() == null ? null : (long) r.currPid());
            str(g, "curr_comm", r.currComm());
            num(g, "nr_switches", r.nrSwitches());
            num(g, "scx_nr_running", r.scxNrRunning());
            num(g, "scx_flags", r.scxFlags());
            num(g, "local_dsq_depth", r.localDsqDepth());
            errors(g, r.errors());
            g.writeEndObject();
        }
        g.writeEndArray();
        if (schedExt != null) {
            SchedExtState s = schedExt;
            g.writeObjectFieldStart("sched_ext");
            if (s.enabled() != null) {
                g.writeBooleanField("enabled", s.enabled());
            }
            str(g, "state", s.enableState());
            str(g, "ops", s.opsName());
            str(g, "exit_kind", s.exitKind());
            str(g, "exit_reason", s.exitReason());
            str(g, "exit_msg", s.exitMessage());
            num(g, "exit_code", s.exitCode());
            num(g, "watchdog_timeout_jiffies", s.watchdogTimeoutJiffies());
            if (s.switchingAll() != null) {
                g.writeBooleanField("switching_all", s.switchingAll());
            }
            g.writeObjectFieldStart("events");
            for (Map.Entry<String, Long> e : s.events().entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            errors(g, s.errors());
            g.writeEndObject();
        }
        g.writeArrayFieldStart("dsqs");
        for (DsqState d : dsqs) {
            g.writeStartObject();
            g.writeStringField("kind", d.kind());
            g.writeNumberField("owner", d.owner());
            g.writeStringField("id", "0x" + Long.toHexString(d.id()));
            g.writeNumberField("depth", d.depth());
            g.writeNumberField("seq", d.seq());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("maps");
        for (BpfMapState m : maps) {
            g.writeStartObject();
            g.writeNumberField("id", m.id());
            g.writeStringField("name", m.name());
            g.writeStringField("type", m.type());
            g.writeNumberField("key_size", m.keySize());
            g.writeNumberField("value_size", m.valueSize());
            g.writeNumberField("max_entries", m.maxEntries());
            g.writeStringField("value_type", m.valueType());
            g.writeArrayFieldStart("entries");
            for (BpfMapState.Entry e : m.entries()) {
                g.writeStartObject();
                g.writeStringField("key", HexFormat.of().formatHex(e.key()));
                g.writeArrayFieldStart("values");
                for (int i = 0; i < e.values().size(); i++) {
                    if (e.valueJson() != null) {
                        g.writeRawValue(e.valueJson().get(i));
                    } else {
                        g.writeString(HexFormat.of().formatHex(e.values().get(i)));
                    }
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            errors(g, m.errors());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("progs");
        for (BpfProgState p : progs) {
            g.writeStartObject();
            g.writeNumberField("id", p.id());
            g.writeStringField("name", p.name());
            g.writeStringField("type", p.type());
            g.writeStringField("attach_type", p.attachType());
            str(g, "attach_to", p.attachTo());
            g.writeStringField("tag", p.tag());
            g.writeBooleanField("jited", p.jited());
            g.writeNumberField("jited_bytes", p.jitedBytes());
            g.writeNumberField("xlated_bytes", p.xlatedBytes());
            g.writeNumberField("memlock_bytes", p.memlockBytes());
            g.writeNumberField("verified_insns", p.verifiedInsns());
            num(g, "run_cnt", p.runCount());
            num(g, "run_time_ns", p.runTimeNs());
            errors(g, p.errors());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("tasks");
        for (TaskInfo t : tasks) {
            g.writeStartObject();
            g.writeNumberField("pid", t.pid());
            g.writeNumberField("tgid", t.tgid());
            g.writeStringField("comm", t.comm());
            g.writeStringField("state", t.state());
            g.writeStringField("sched_class", t.schedClass());
            g.writeNumberField("cpu", t.cpu());
            g.writeEndObject();
        }
        g.writeEndArray();
        errors(g, errors);
        g.writeEndObject();
    }

    private static void num(JsonGenerator g, String name, Long v) throws IOException {
        if (v == null) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, v);
        }
    }

    private static void str(JsonGenerator g, String name, String v) throws IOException {
        if (v == null) {
            g.writeNullField(name);
        } else {
            g.writeStringField(name, v);
        }
    }

    private static void errors(JsonGenerator g, List<FieldError> errors) throws IOException {
        if (errors.isEmpty()) {
            return;
        }
        g.writeArrayFieldStart("errors");
        for (FieldError e : errors) {
            g.writeStartObject();
            g.writeStringField("path", e.path());
            g.writeStringField("error", e.error());
            g.writeStringField("message", e.message());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /**
     * A few lines for people: one per CPU, the sched_ext state, the maps. Every string read from the guest (a task's
     * comm, which any guest process sets; the ops name, exit reason and message the scheduler chose; map and BTF type
     * names; error messages quoting them) goes through {@link GuestText#line}, so it prints no control characters and
     * cannot start a line of its own.
     */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("snapshot ").append(takenAt).append(String.format(" (paused %.3f ms)%n", pausedNanos / 1e6));
        for (RunqueueState r : runqueues) {
            sb.append(String.format("  cpu%-3d nr_running=%s clock=%s curr=%s/%s switches=%s scx.nr_running=%s "
                    + "scx.flags=%s local_dsq=%s%n", r.cpu(), r.nrRunning(), r.clock(), r.currPid(), g(r.currComm()),
                    r.nrSwitches(), r.scxNrRunning(), r.scxFlags(), r.localDsqDepth()));
        }
        if (schedExt != null) {
            sb.append(String.format("  sched_ext: %s ops=%s exit=%s %s %s watchdog=%s events=%s%n", g(schedExt.enableState()),
                    g(schedExt.opsName()), g(schedExt.exitKind()), g(schedExt.exitReason()), g(schedExt.exitMessage()),
                    schedExt.watchdogTimeoutJiffies(), g(String.valueOf(schedExt.events()))));
        }
        for (DsqState d : dsqs) {
            if (!d.kind().equals("local")) {
                sb.append(String.format("  dsq %s owner=%d id=0x%x depth=%d%n", g(d.kind()), d.owner(), d.id(), d.depth()));
            }
        }
        for (BpfMapState m : maps) {
            sb.append(String.format("  map %d %s %s key=%d value=%d max=%d %s%n", m.id(), g(m.name()), g(m.type()), m.keySize(),
                    m.valueSize(), m.maxEntries(), g(m.valueType())));
            // Small counter-like maps (e.g. a scheduler's per-CPU stats): each entry's first u64, summed over CPUs.
            if (!m.entries().isEmpty() && m.entries().size() <= 8 && m.valueSize() >= 8 && m.valueSize() <= 64) {
                sb.append("    values:");
                for (BpfMapState.Entry e : m.entries()) {
                    sb.append(' ').append(HexFormat.of().formatHex(e.key())).append('=').append(e.sumU64(0));
                }
                sb.append('\n');
            }
        }
        for (BpfProgState p : progs) {
            sb.append(String.format("  prog %d %s %s%s verified=%d xlated=%d jited=%d run_cnt=%s run_time_ns=%s%n", p.id(),
                    g(p.name()), g(p.type()), p.attachTo() == null ? "" : " -> " + g(p.attachTo()), p.verifiedInsns(),
                    p.xlatedBytes(), p.jitedBytes(), p.runCount(), p.runTimeNs()));
        }
        if (!tasks.isEmpty()) {
            sb.append("  tasks: ").append(tasks.size()).append('\n');
        }
        for (FieldError e : allErrors()) {
            sb.append("  error ").append(g(e.path())).append(": ").append(g(e.error())).append(": ").append(g(e.message()))
                    .append('\n');
        }
        return sb.toString();
    }

    /** Longest guest string {@link #toText} shows in one place. */
    static final int MAX_TEXT_FIELD = 512;

    private static String g(String guest) {
        return guest == null ? "" : GuestText.line(guest, MAX_TEXT_FIELD);
    }
}
