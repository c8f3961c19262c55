package dev.jktstr.scenario;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.jktstr.machine.Topology;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The result file's {@code scenarioDefinition}: the scenario as it ran on this topology — every cgroup it added (with
 * its cpuset resolved to CPUs), each step's hold and ops, and the cpusets in force while each step held — so a
 * result can be read (and plotted) without the code that made it.
 */
final class ScenarioDefinitionJson {
    private ScenarioDefinitionJson() {
    }

    static void write(JsonGenerator g, List<Step> steps, Topology topology) throws IOException {
        g.writeObjectFieldStart("scenarioDefinition");
        g.writeArrayFieldStart("cgroups");
        for (Step s : steps) {
            for (Op op : s.ops()) {
                if (op instanceof Op.AddCgroup add) {
                    writeCgroup(g, add.def(), topology);
                }
            }
        }
        g.writeEndArray();
        g.writeArrayFieldStart("steps");
        Map<String, String> cpusets = new LinkedHashMap<>(); // cgroup -> its CPUs, null: unrestricted
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            g.writeStartObject();
            g.writeNumberField("step", i + 1);
            writeHold(g, s.hold());
            g.writeArrayFieldStart("ops");
            for (Op op : s.ops()) {
                writeOp(g, op, topology);
                track(cpusets, op, topology);
            }
            g.writeEndArray();
            g.writeObjectFieldStart("cpusets");
            for (Map.Entry<String, String> e : cpusets.entrySet()) {
                if (e.getValue() == null) {
                    g.writeNullField(e.getKey());
                } else {
                    g.writeStringField(e.getKey(), e.getValue());
                }
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeCgroup(JsonGenerator g, CgroupDef d, Topology t) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", d.name());
        g.writeNumberField("workers", d.workers());
        g.writeStringField("work", work(d.work()));
        spec(g, "cpuset", d.cpuset(), t);
        g.writeNumberField("nice", d.nice());
        if (d.policy().isPresent()) {
            g.writeStringField("policy", d.policy().get().toString());
        } else {
            g.writeNullField("policy");
        }
        if (d.affinity().isPresent()) {
            g.writeStringField("affinity", d.affinity().get().toString());
            try {
                Optional<java.util.BitSet> cpus = d.cpuset().map(c -> c.resolve(t, "cpuset"));
                g.writeStringField("affinityResolved", CpusetSpec.format(AffinityIntent.union(
                        d.affinity().get().resolve(t, cpus, d.workers(), d.name(), "affinity"))));
            } catch (InvalidScenarioException e) {
                g.writeNullField("affinityResolved");
            }
        } else {
            g.writeNullField("affinity");
            g.writeNullField("affinityResolved");
        }
        if (d.memoryPolicy().isPresent()) {
            g.writeStringField("memoryPolicy", d.memoryPolicy().get().mode().name().toLowerCase()
                    + d.memoryPolicy().get().nodes());
        } else {
            g.writeNullField("memoryPolicy");
        }
        g.writeObjectFieldStart("knobs"); // controller file -> the value written
        for (CgroupKnob k : d.knobs()) {
            g.writeStringField(k.file(), k.value());
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void writeHold(JsonGenerator g, HoldSpec h) throws IOException {
        g.writeObjectFieldStart("hold");
        switch (h) {
            case HoldSpec.Fraction f -> {
                g.writeStringField("kind", "fraction");
                g.writeNumberField("fraction", f.value());
            }
            case HoldSpec.Fixed f -> {
                g.writeStringField("kind", "fixed");
                g.writeNumberField("ms", f.value().toMillis());
            }
            case HoldSpec.Loop l -> {
                g.writeStringField("kind", "loop");
                g.writeNumberField("fraction", l.fraction());
                g.writeNumberField("intervalMs", l.interval().toMillis());
            }
        }
        g.writeEndObject();
    }

    /**
     * {@code {"op": "setCpuset", "name": "cg_0", "cpus": "llc(0)", "cpusResolved": "0-1"}}: the op's record components
     * (a duration as {@code <field>Ms}, an absent optional left out, a payload as its command line).
     */
    private static void writeOp(JsonGenerator g, Op op, Topology t) throws IOException {
        g.writeStartObject();
        String type = op.getClass().getSimpleName();
        g.writeStringField("op", Character.toLowerCase(type.charAt(0)) + type.substring(1));
        for (RecordComponent rc : op.getClass().getRecordComponents()) {
            Object v;
            try {
                v = rc.getAccessor().invoke(op);
            } catch (ReflectiveOperationException e) {
                v = "?";
            }
            String f = rc.getName();
            switch (v) {
                case null -> g.writeNullField(f);
                case CgroupDef d -> g.writeStringField("cgroup", d.name());
                case CpusetSpec c -> spec(g, f, Optional.of(c), t);
                case WorkType w -> g.writeStringField(f, work(w));
                case CgroupKnob k -> g.writeStringField(f, k.file() + " = " + k.value());
                case Scheduler s -> g.writeStringField(f, s.name());
                case Payload p -> g.writeStringField(f, p.describe());
                case Optional<?> o -> {
                    if (o.isPresent()) {
                        g.writeStringField(f, o.get().toString());
                    } // absent: left out (a null cgroup or cpuset would read as "all")
                }
                case java.time.Duration d -> g.writeNumberField(f + "Ms", d.toMillis());
                case Integer n -> g.writeNumberField(f, n);
                case Long n -> g.writeNumberField(f, n);
                case Boolean b -> g.writeBooleanField(f, b);
                default -> g.writeStringField(f, v.toString());
            }
        }
        g.writeEndObject();
    }

    /** The cpusets each cgroup has after {@code op}. */
    private static void track(Map<String, String> cpusets, Op op, Topology t) {
        switch (op) {
            case Op.AddCgroup a -> cpusets.put(a.def().name(), a.def().cpuset().map(c -> resolved(c, t)).orElse(null));
            case Op.SetCpuset s -> cpusets.put(s.name(), resolved(s.cpus(), t));
            case Op.ClearCpuset c -> cpusets.put(c.name(), null);
            case Op.SwapCpusets s -> {
                String a = cpusets.get(s.a());
                cpusets.put(s.a(), cpusets.get(s.b()));
                cpusets.put(s.b(), a);
            }
            case Op.RemoveCgroup r -> cpusets.remove(r.name());
            default -> { }
        }
    }

    private static void spec(JsonGenerator g, String field, Optional<CpusetSpec> c, Topology t) throws IOException {
        if (c.isEmpty()) {
            g.writeNullField(field);
            g.writeNullField(field + "Resolved");
            return;
        }
        g.writeStringField(field, describe(c.get()));
        g.writeStringField(field + "Resolved", resolved(c.get(), t));
    }

    private static String resolved(CpusetSpec c, Topology t) {
        try {
            BitSet b = c.resolve(t, "cpuset");
            return CpusetSpec.format(b);
        } catch (RuntimeException e) {
            return null; // validated before the run; a hand-built result may not be
        }
    }

    static String describe(CpusetSpec c) {
        return switch (c) {
            case CpusetSpec.Llc l -> "llc(" + l.index() + ")";
            case CpusetSpec.Node n -> "node(" + n.index() + ")";
            case CpusetSpec.Cpus p -> "cpus(" + Topology.cpuList(p.cpus()) + ")";
            case CpusetSpec.Slice s -> "slice(" + s.index() + "/" + s.parts() + ")";
            case CpusetSpec.Range r -> r.toString();
            case CpusetSpec.Overlap o -> o.toString();
        };
    }

    private static String work(WorkType w) {
        String k = w.kind().name().toLowerCase();
        if (!w.phases().isEmpty()) {
            StringBuilder b = new StringBuilder(k).append('(');
            for (WorkType.Phase p : w.phases()) {
                b.append(b.charAt(b.length() - 1) == '(' ? "" : ", ").append(work(p.work())).append(' ')
                        .append(p.duration().toMillis()).append("ms");
            }
            return b.append(')').toString();
        }
        return w.param1() == 0 && w.param2() == 0 ? k : k + "(" + w.param1() + ", " + w.param2() + ")";
    }
}
