package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a scenario's steps before anything boots: each op against the cgroups that exist at that point, parents and
 * children, names, counts, holds, scheduler and payload binaries, payloads waited for or killed only after they
 * started, and — given a topology — cpusets and NUMA nodes. A failure is an
 * {@link InvalidScenarioException} naming the field ({@code steps[1].ops[0].name}).
 */
final class ScenarioValidator {
    /** Bound on the workers of one scenario, every cgroup and spawn together. */
    static final int MAX_TOTAL_WORKERS = 4096;
    /** The longest {@link Op#waitPayload} timeout. */
    static final java.time.Duration MAX_PAYLOAD_WAIT = java.time.Duration.ofHours(24);

    private ScenarioValidator() {
    }

    /** Validates {@code steps}; a null {@code topology} leaves cpusets, affinities and NUMA nodes for later. */
    static void validate(Topology topology, List<Step> steps) {
        if (steps.isEmpty()) {
            throw new InvalidScenarioException("steps", "a scenario needs at least one step");
        }
        Set<String> live = new HashSet<>();
        Set<String> everCreated = new HashSet<>();
        Map<String, String> parentsWithoutChildren = new LinkedHashMap<>(); // name -> field of its add
        Set<String> withWorkers = new HashSet<>();
        Map<String, Path> schedulerFiles = new HashMap<>();
        Map<String, Path> payloadFiles = new HashMap<>();
        Map<String, String> payloads = new HashMap<>(); // started payload -> its cgroup ("" = none)
        Set<String> payloadsRunning = new HashSet<>(); // started, neither waited for nor killed
        int totalWorkers = 0;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            String at = "steps[" + i + "].";
            s.hold().validate(at + "hold");
            if (s.hold() instanceof HoldSpec.Loop) {
                for (int j = 0; j < s.ops().size(); j++) {
                    Op op = s.ops().get(j);
                    if (op instanceof Op.AddCgroup || op instanceof Op.RemoveCgroup || op instanceof Op.KillScheduler
                            || op instanceof Op.Spawn || op instanceof Op.ReplaceScheduler
                            || op instanceof Op.DetachScheduler || op instanceof Op.AttachScheduler
                            || op instanceof Op.RunPayload) {
                        throw new InvalidScenarioException(at + "ops[" + j + "]", op.getClass().getSimpleName()
                                + " cannot repeat in a loop hold (only ops that can be applied again and again)");
                    }
                }
            }
            for (int j = 0; j < s.ops().size(); j++) {
                Op op = s.ops().get(j);
                String f = at + "ops[" + j + "].";
                switch (op) {
                    case Op.AddCgroup a -> {
                        CgroupDef d = a.def();
                        d.validate(topology, f);
                        if (!everCreated.add(d.name())) {
                            throw new InvalidScenarioException(f + "cgroup.name", "cgroup '" + d.name() + "' is added twice");
                        }
                        if (d.parentName().isPresent()) {
                            String parent = d.parentName().get();
                            if (!live.contains(parent)) {
                                throw new InvalidScenarioException(f + "cgroup.name", "parent cgroup '" + parent + "' of '"
                                        + d.name() + "' is not live at this point (add CgroupDef.parent(\"" + parent + "\") first)");
                            }
                            if (withWorkers.contains(parent)) {
                                throw new InvalidScenarioException(f + "cgroup.name", "cgroup '" + parent + "' has workers, so it"
                                        + " cannot have a child '" + d.name() + "' (cgroup v2 keeps processes in leaves only;"
                                        + " use CgroupDef.parent(\"" + parent + "\"))");
                            }
                            parentsWithoutChildren.remove(parent);
                        }
                        if (d.workers() == 0) {
                            parentsWithoutChildren.put(d.name(), f + "cgroup " + d.name() + ".workers");
                            if (d.memoryPolicy().isPresent()) {
                                throw new InvalidScenarioException(f + "cgroup " + d.name() + ".memoryPolicy",
                                        "a parent cgroup has no workers to apply a memory policy to; set it on the leaves");
                            }
                        } else {
                            withWorkers.add(d.name());
                        }
                        live.add(d.name());
                        totalWorkers += d.workers();
                    }
                    case Op.RemoveCgroup r -> {
                        known(live, r.name(), f + "name");
                        for (String p : payloadsRunning) {
                            if (payloads.get(p).equals(r.name())) {
                                throw new InvalidScenarioException(f + "name", "payload '" + p + "' may still run in cgroup '"
                                        + r.name() + "'; wait for it or kill it first (waitPayload, killPayload)");
                            }
                        }
                        for (String other : live) {
                            if (other.startsWith(r.name() + "/")) {
                                throw new InvalidScenarioException(f + "name", "cgroup '" + r.name() + "' still has the child '"
                                        + other + "'; remove the children first");
                            }
                        }
                        live.remove(r.name());
                    }
                    case Op.StopCgroup st -> known(live, st.name(), f + "name");
                    case Op.SetCpuset sc -> {
                        known(live, sc.name(), f + "name");
                        if (sc.cpus() == null) {
                            throw new InvalidScenarioException(f + "cpus", "missing");
                        }
                        if (topology != null) {
                            sc.cpus().resolve(topology, f + "cpus");
                        }
                    }
                    case Op.ClearCpuset cc -> known(live, cc.name(), f + "name");
                    case Op.SwapCpusets sw -> {
                        known(live, sw.a(), f + "a");
                        known(live, sw.b(), f + "b");
                    }
                    case Op.Freeze fr -> known(live, fr.name(), f + "name");
                    case Op.MoveTasks mv -> {
                        known(live, mv.from(), f + "from");
                        known(live, mv.to(), f + "to");
                        if (live.stream().anyMatch(n -> n.startsWith(mv.to() + "/"))) {
                            throw new InvalidScenarioException(f + "to", "cgroup '" + mv.to() + "' is a parent of nested"
                                    + " cgroups: tasks go into its leaves");
                        }
                        if (mv.count() < 1) {
                            throw new InvalidScenarioException(f + "count", "must be at least 1, got " + mv.count());
                        }
                    }
                    case Op.SetAffinity sa -> {
                        known(live, sa.name(), f + "name");
                        if (sa.cpus() == null) {
                            throw new InvalidScenarioException(f + "cpus", "missing");
                        }
                        if (topology != null) {
                            sa.cpus().resolve(topology, f + "cpus");
                        }
                    }
                    case Op.SetAffinityIntent si -> {
                        known(live, si.name(), f + "name");
                        if (topology != null) {
                            // the cpuset is known only when it runs; what the topology alone rules out is refused now
                            si.intent().resolve(topology, java.util.Optional.empty(), 1, si.name(), f + "intent");
                        }
                    }
                    case Op.Spawn sp -> {
                        known(live, sp.cgroup(), f + "cgroup");
                        if (!withWorkers.contains(sp.cgroup())) {
                            throw new InvalidScenarioException(f + "cgroup", "cgroup '" + sp.cgroup() + "' is a parent of"
                                    + " nested cgroups: workers go into its leaves");
                        }
                        if (sp.workers() < 1 || sp.workers() > CgroupDef.MAX_WORKERS) {
                            throw new InvalidScenarioException(f + "workers", "must be within 1.." + CgroupDef.MAX_WORKERS
                                    + ", got " + sp.workers());
                        }
                        if (sp.work() == null) {
                            throw new InvalidScenarioException(f + "work", "missing");
                        }
                        if (topology != null) {
                            sp.work().checkTopology(topology, f + "work");
                        }
                        totalWorkers += sp.workers();
                    }
                    case Op.DetachScheduler d -> { }
                    case Op.ReplaceScheduler rs -> {
                        if (rs.next() == null) {
                            throw new InvalidScenarioException(f + "scheduler", "missing (use detachScheduler() to fall back to EEVDF)");
                        }
                        rs.next().validate(f + "scheduler");
                        GuestBinary.claim(schedulerFiles, rs.next().guestPath(), rs.next().path(), f + "scheduler");
                    }
                    case Op.RunPayload rp -> {
                        payloadName(rp.name(), f + "name");
                        if (payloads.containsKey(rp.name())) {
                            throw new InvalidScenarioException(f + "name", "payload '" + rp.name() + "' is started twice"
                                    + " (a payload name is used once per scenario)");
                        }
                        if (rp.cgroup().isPresent()) {
                            String c = rp.cgroup().get();
                            known(live, c, f + "cgroup");
                            if (live.stream().anyMatch(n -> n.startsWith(c + "/")) || parentsWithoutChildren.containsKey(c)) {
                                throw new InvalidScenarioException(f + "cgroup", "cgroup '" + c + "' is a parent of nested"
                                        + " cgroups: a payload goes into a leaf");
                            }
                        }
                        rp.payload().binary().ifPresent(b -> GuestBinary.claim(payloadFiles, rp.payload().guestBinaryPath(),
                                b, f + "payload.binary"));
                        payloads.put(rp.name(), rp.cgroup().orElse(""));
                        payloadsRunning.add(rp.name());
                    }
                    case Op.WaitPayload wp -> {
                        started(payloads, wp.name(), f + "name");
                        if (wp.timeout() == null || wp.timeout().isNegative() || wp.timeout().isZero()
                                || wp.timeout().compareTo(MAX_PAYLOAD_WAIT) > 0) {
                            throw new InvalidScenarioException(f + "timeout", "must be positive and at most "
                                    + MAX_PAYLOAD_WAIT.toHours() + " h, got " + wp.timeout());
                        }
                        payloadsRunning.remove(wp.name());
                    }
                    case Op.KillPayload kp -> {
                        started(payloads, kp.name(), f + "name");
                        payloadsRunning.remove(kp.name());
                    }
                    case Op.AttachScheduler a -> { }
                    case Op.TakeSnapshot t -> { }
                    case Op.SetKnob k -> {
                        known(live, k.cgroup(), f + "cgroup");
                        k.knob().validate(topology, f + "knob");
                    }
                    case Op.ReadKernelValue r -> kernelPath(r.path(), f + "path");
                    case Op.KillScheduler k -> {
                        if (k.signal() < 1 || k.signal() > 64) {
                            throw new InvalidScenarioException(f + "signal", "must be within 1..64, got " + k.signal());
                        }
                    }
                    case Op.WriteKernelValue w -> {
                        kernelPath(w.path(), f + "path");
                        if (w.value() == null) {
                            throw new InvalidScenarioException(f + "value", "missing");
                        }
                    }
                }
            }
        }
        if (!parentsWithoutChildren.isEmpty()) {
            Map.Entry<String, String> e = parentsWithoutChildren.entrySet().iterator().next();
            throw new InvalidScenarioException(e.getValue(), "cgroup '" + e.getKey() + "' has no workers and no nested cgroup"
                    + " ('" + e.getKey() + "/...'); must be within 1.." + CgroupDef.MAX_WORKERS + " unless it is a parent");
        }
        if (totalWorkers > MAX_TOTAL_WORKERS) {
            throw new InvalidScenarioException("workers", totalWorkers + " workers in total; at most " + MAX_TOTAL_WORKERS);
        }
    }

    private static void kernelPath(String path, String field) {
        if (path == null || !(path.startsWith("/proc/") || path.startsWith("/sys/")) || path.contains("..")) {
            throw new InvalidScenarioException(field, "must be a file under /proc or /sys: " + path);
        }
    }

    private static void payloadName(String name, String field) {
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}") || name.startsWith(".")) {
            throw new InvalidScenarioException(field, "a payload name is 1..64 letters, digits, '_', '.' or '-', not"
                    + " starting with '.'; got '" + name + "'");
        }
    }

    private static void started(Map<String, String> payloads, String name, String field) {
        if (name == null || !payloads.containsKey(name)) {
            throw new InvalidScenarioException(field, "unknown payload '" + name + "' (payloads started before this op: "
                    + new java.util.TreeSet<>(payloads.keySet()) + ")");
        }
    }

    private static void known(Set<String> live, String name, String field) {
        if (name == null || !live.contains(name)) {
            throw new InvalidScenarioException(field, "unknown cgroup '" + name + "' (cgroups at this point: " + live + ")");
        }
    }
}
