package dev.jktstr.scenario;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.jktstr.guest.KmsgRecord;
import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import dev.jktstr.machine.GuestText;
import dev.jktstr.machine.VcpuRegisters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything a developer needs to debug a failed run without re-running it, gathered from the live guest when a run
 * ends FAIL or INCONCLUSIVE: how the scheduler exited ({@link SchedulerExitText}), the flight recorder's last seconds
 * of guest state (BPF maps included), a final snapshot, every vCPU's registers, the kernel log since boot, the
 * scheduler's output and the run's timeline. {@link #write} puts it beside the result file as
 * {@code <result>.failure-dump.json}; {@link #bugSummary} is the short block printed first. A part that cannot be
 * read (a scribbled guest, a backend without registers) is recorded as an error in its place: the dump is always
 * written.
 */
public final class FailureEvidence {
    /** Format version of the dump file. */
    public static final int VERSION = 1;
    /** Bound on the kernel log records a dump keeps (the newest). */
    static final int MAX_KMSG = 4000;

    private final RunResult result;
    private final Instant collected;
    private final SchedulerExitText exit;
    private final String schedulerOutput;
    private final List<Snapshot> flightRecorder;
    private final String flightRecorderStatus;
    private final long recorderIntervalMs;
    private final Snapshot finalSnapshot; // null: see finalSnapshotError
    private final String finalSnapshotError;
    private final Map<Integer, VcpuRegisters> registers;
    private final Map<Integer, String> registerErrors;
    private final List<KmsgRecord> kmsg;
    private final String kmsgError;

    private FailureEvidence(RunResult result, SchedulerExitText exit, String schedulerOutput, List<Snapshot> flightRecorder,
            String flightRecorderStatus, long recorderIntervalMs, Snapshot finalSnapshot, String finalSnapshotError,
            Map<Integer, VcpuRegisters> registers, Map<Integer, String> registerErrors, List<KmsgRecord> kmsg,
            String kmsgError) {
        this.result = result;
        this.collected = Instant.now();
        this.exit = exit;
        this.schedulerOutput = schedulerOutput;
        this.flightRecorder = List.copyOf(flightRecorder);
        this.flightRecorderStatus = flightRecorderStatus;
        this.recorderIntervalMs = recorderIntervalMs;
        this.finalSnapshot = finalSnapshot;
        this.finalSnapshotError = finalSnapshotError;
        this.registers = registers;
        this.registerErrors = registerErrors;
        this.kmsg = kmsg;
        this.kmsgError = kmsgError;
    }

    /** Gathers the evidence of {@code result}'s failure from the still-running guest of {@code ctx}. */
    static FailureEvidence collect(Ctx ctx, RunResult result, FlightRecorder recorder) {
        SchedulerExitText exit;
        String output;
        try {
            exit = ctx.schedulerExit();
            output = ctx.schedulerLog();
        } catch (RuntimeException e) {
            exit = SchedulerExitText.parse(List.of(), "");
            output = "unreadable: " + e.getMessage();
        }
        Snapshot last = null;
        String lastError = "";
        Optional<Introspector> in = ctx.introspector();
        if (in.isPresent()) {
            try {
                last = in.get().snapshot(SnapshotOptions.SCHEDULER_AND_MAPS);
            } catch (RuntimeException e) {
                lastError = e.toString();
            }
        } else {
            lastError = ctx.introspectionStatus();
        }
        Map<Integer, VcpuRegisters> regs = new TreeMap<>();
        Map<Integer, String> regErrors = new TreeMap<>();
        readRegisters(ctx, regs, regErrors);
        List<KmsgRecord> log = List.of();
        String logError = "";
        try {
            List<KmsgRecord> all = ctx.agent().readKmsgRecords(Duration.ofSeconds(30));
            log = List.copyOf(all.subList(Math.max(0, all.size() - MAX_KMSG), all.size()));
        } catch (RuntimeException e) {
            logError = e.toString();
        }
        return new FailureEvidence(result, exit, output, recorder.snapshots(), recorder.status(), recorder.interval().toMillis(), last, lastError, regs,
                regErrors, log, logError);
    }

    /** Every vCPU's registers, the machine paused once for all of them. */
    private static void readRegisters(Ctx ctx, Map<Integer, VcpuRegisters> regs, Map<Integer, String> errors) {
        int cpus = ctx.topology().cpuCount();
        try {
            ctx.machine().pause();
        } catch (RuntimeException e) {
            for (int cpu = 0; cpu < cpus; cpu++) {
                errors.put(cpu, "could not pause the machine: " + e.getMessage());
            }
            return;
        }
        try {
            for (int cpu = 0; cpu < cpus; cpu++) {
                try {
                    regs.put(cpu, ctx.machine().registers(cpu));
                } catch (RuntimeException e) {
                    errors.put(cpu, e.toString());
                }
            }
        } finally {
            ctx.machine().resume();
        }
    }

    public RunResult result() {
        return result;
    }

    public SchedulerExitText exit() {
        return exit;
    }

    public List<Snapshot> flightRecorder() {
        return flightRecorder;
    }

    public Map<Integer, VcpuRegisters> registers() {
        return Map.copyOf(registers);
    }

    /** Where {@link #write} puts the dump for the result file {@code resultFile}. */
    public static Path dumpPathFor(Path resultFile) {
        String name = resultFile.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return resultFile.resolveSibling(stem + ".failure-dump.json");
    }

    /**
     * The BUG SUMMARY block: the outcome and the first failed claim or reason, how the scheduler exited (kind, reason,
     * its message, the task and CPU that triggered it), and the dump's path; guest text cleaned for a terminal.
     */
    public String bugSummary(Path dump) {
        StringBuilder b = new StringBuilder("BUG SUMMARY\n");
        b.append("  outcome:   ").append(result.outcome()).append(" — ").append(GuestText.line(result.verdict().reason(), 300))
                .append('\n');
        b.append("  scheduler: ").append(result.scheduler());
        if (exit.found()) {
            b.append(" exited").append(exit.kindName().isEmpty() ? "" : " " + exit.kindName())
                    .append(exit.reason().isEmpty() ? "" : " (" + GuestText.line(exit.reason(), 200) + ")");
            b.append('\n');
            if (!exit.message().isEmpty()) {
                b.append("  error:     ").append(GuestText.line(exit.message(), 600)).append('\n');
            }
            if (!exit.task().isEmpty()) {
                b.append("  where:     ").append(GuestText.line(exit.task(), 100))
                        .append(exit.cpu() >= 0 ? " on CPU " + exit.cpu() : "").append('\n');
            }
            if (!exit.backtrace().isEmpty()) {
                b.append("  stack:     ").append(GuestText.line(exit.backtrace().getFirst(), 200))
                        .append(exit.backtrace().size() > 1 ? " (+" + (exit.backtrace().size() - 1) + " frames in the dump)" : "")
                        .append('\n');
            }
        } else {
            b.append(" (sched_ext state '").append(GuestText.line(result.schedExtState(), 64)).append("', no exit recorded)\n");
        }
        b.append("  dump:      ").append(dump.toAbsolutePath()).append('\n');
        return b.toString();
    }

    /** Writes the dump beside {@code resultFile} ({@link #dumpPathFor}) and returns its path. */
    public Path write(Path resultFile) {
        Path file = dumpPathFor(resultFile);
        try {
            JsonFile.write(file, g -> writeJson(g, resultFile));
        } catch (IOException e) {
            throw new UncheckedIOException("writing the failure dump " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    private void writeJson(JsonGenerator g, Path resultFile) throws IOException {
        g.writeStartObject();
        g.writeStringField("kind", "jktstr-failure-dump");
        g.writeNumberField("version", VERSION);
        g.writeStringField("collected", collected.toString());
        g.writeStringField("result", resultFile.getFileName().toString());
        g.writeStringField("scenario", result.scenario());
        g.writeStringField("kernelRelease", result.kernelRelease());
        g.writeStringField("backend", result.backend());
        g.writeStringField("topology", result.topology().toString());
        g.writeObjectFieldStart("verdict");
        g.writeStringField("outcome", result.outcome().name());
        g.writeStringField("reason", result.verdict().reason());
        g.writeArrayFieldStart("failedClaims");
        for (ClaimResult c : result.verdict().claims()) {
            if (c.outcome() != Outcome.PASS) {
                g.writeStartObject();
                g.writeStringField("label", c.label());
                g.writeStringField("outcome", c.outcome().name());
                if (!Double.isNaN(c.value())) {
                    g.writeNumberField("value", c.value());
                }
                g.writeStringField("wanted", c.comparison() + " " + c.threshold());
                g.writeStringField("detail", c.detail());
                g.writeEndObject();
            }
        }
        g.writeEndArray();
        g.writeEndObject();
        writeExit(g);
        g.writeStringField("schedulerOutput", schedulerOutput);
        ResultJson.writeTimeline(g, result); // as the result file has it
        g.writeObjectFieldStart("flightRecorder");
        g.writeStringField("status", flightRecorderStatus);
        g.writeNumberField("intervalMs", recorderIntervalMs);
        g.writeArrayFieldStart("snapshots");
        for (Snapshot s : flightRecorder) {
            s.writeJson(g);
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeFieldName("finalSnapshot");
        if (finalSnapshot != null) {
            finalSnapshot.writeJson(g);
        } else {
            g.writeStartObject();
            g.writeStringField("error", finalSnapshotError);
            g.writeEndObject();
        }
        writeRegisters(g);
        g.writeObjectFieldStart("kmsg");
        if (!kmsgError.isEmpty()) {
            g.writeStringField("error", kmsgError);
        }
        g.writeArrayFieldStart("records");
        for (KmsgRecord r : kmsg) {
            g.writeStartObject();
            g.writeNumberField("seq", r.sequence());
            g.writeNumberField("usec", r.timestampMicros());
            g.writeNumberField("level", r.level());
            g.writeStringField("text", r.message());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
    }

    private void writeExit(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("schedulerExit");
        g.writeStringField("scheduler", result.scheduler());
        g.writeStringField("schedExtState", result.schedExtState());
        if (exit.kind() >= 0) {
            g.writeNumberField("kind", exit.kind());
        } else {
            g.writeNullField("kind");
        }
        g.writeStringField("kindName", exit.kindName());
        g.writeStringField("reason", exit.reason());
        g.writeStringField("message", exit.message());
        g.writeStringField("task", exit.task());
        if (exit.cpu() >= 0) {
            g.writeNumberField("cpu", exit.cpu());
        } else {
            g.writeNullField("cpu");
        }
        g.writeArrayFieldStart("backtrace");
        for (String f : exit.backtrace()) {
            g.writeString(f);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private void writeRegisters(JsonGenerator g) throws IOException {
        g.writeArrayFieldStart("vcpus");
        List<Integer> cpus = new ArrayList<>(registers.keySet());
        cpus.addAll(registerErrors.keySet());
        cpus.sort(null);
        for (int cpu : cpus) {
            g.writeStartObject();
            g.writeNumberField("cpu", cpu);
            VcpuRegisters r = registers.get(cpu);
            if (r == null) {
                g.writeStringField("error", registerErrors.get(cpu));
            } else {
                g.writeObjectFieldStart("registers");
                Map<String, Long> all = new TreeMap<>(r.all());
                all.put("RIP", r.rip());
                all.put("RSP", r.rsp());
                all.put("RFLAGS", r.rflags());
                all.put("CR0", r.cr0());
                all.put("CR2", r.cr2());
                all.put("CR3", r.cr3());
                all.put("CR4", r.cr4());
                for (var e : all.entrySet()) {
                    g.writeStringField(e.getKey(), String.format("0x%016x", e.getValue()));
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
