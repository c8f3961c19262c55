package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.Optional;

/**
 * A cgroup and its workers: {@code CgroupDef.named("cg_0").workers(4).work(WorkType.spinWait()).cpuset(CpusetSpec.llc(0))}.
 * Immutable; every setter returns a copy. Defaults: 1 worker of {@link WorkType#spinWait()}, no cpuset, nice 0,
 * the policy left as inherited, no affinity, the memory policy left as inherited.
 *
 * <p>Nested cgroups are named by their path below the cgroup root: {@code "outer/inner"} lives in {@code outer},
 * which must be live when it is added. Processes live in the leaves only (cgroup v2), so a parent is a cgroup without
 * workers, {@link #parent(String)}; its cpuset constrains its children.
 *
 * <p>Controller knobs ({@link CgroupKnob}: cpu.max, cpu.weight, memory.*, io.weight, pids.max, cpuset.mems) are
 * written when the cgroup is created, before its workers join it, and read back from inside the guest.
 */
public record CgroupDef(String name, int workers, WorkType work, Optional<CpusetSpec> cpuset, int nice,
        Optional<SchedPolicy> policy, Optional<AffinityIntent> affinity, Optional<MemoryPolicy> memoryPolicy,
        List<CgroupKnob> knobs) {

    public static final int MAX_WORKERS = 256;
    /** How deep cgroups may nest below the root. */
    public static final int MAX_DEPTH = 4;

    public CgroupDef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(cpuset, "cpuset");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(affinity, "affinity");
        Objects.requireNonNull(memoryPolicy, "memoryPolicy");
        knobs = List.copyOf(knobs);
    }

    /** Without knobs. */
    public CgroupDef(String name, int workers, WorkType work, Optional<CpusetSpec> cpuset, int nice,
            Optional<SchedPolicy> policy, Optional<AffinityIntent> affinity, Optional<MemoryPolicy> memoryPolicy) {
        this(name, workers, work, cpuset, nice, policy, affinity, memoryPolicy, List.of());
    }

    /** Without a memory policy. */
    public CgroupDef(String name, int workers, WorkType work, Optional<CpusetSpec> cpuset, int nice,
            Optional<SchedPolicy> policy, Optional<AffinityIntent> affinity) {
        this(name, workers, work, cpuset, nice, policy, affinity, Optional.empty());
    }

    public static CgroupDef named(String name) {
        return new CgroupDef(name, 1, WorkType.spinWait(), Optional.empty(), 0, Optional.empty(), Optional.empty());
    }

    /** A cgroup that only holds nested cgroups ({@code name + "/child"}): no workers of its own. */
    public static CgroupDef parent(String name) {
        return named(name).workers(0);
    }

    public CgroupDef workers(int n) {
        return new CgroupDef(name, n, work, cpuset, nice, policy, affinity, memoryPolicy, knobs);
    }

    public CgroupDef work(WorkType w) {
        return new CgroupDef(name, workers, w, cpuset, nice, policy, affinity, memoryPolicy, knobs);
    }

    public CgroupDef cpuset(CpusetSpec c) {
        return new CgroupDef(name, workers, work, Optional.of(c), nice, policy, affinity, memoryPolicy, knobs);
    }

    public CgroupDef nice(int n) {
        return new CgroupDef(name, workers, work, cpuset, n, policy, affinity, memoryPolicy, knobs);
    }

    public CgroupDef policy(SchedPolicy p) {
        return new CgroupDef(name, workers, work, cpuset, nice, Optional.of(p), affinity, memoryPolicy, knobs);
    }

    /** CPU affinity of every worker (sched_setaffinity), inside the cgroup's cpuset: {@link AffinityIntent#exact}. */
    public CgroupDef affinity(CpusetSpec a) {
        return affinity(AffinityIntent.exact(a));
    }

    /** How the workers are pinned ({@link AffinityIntent}: ktstr's seven), resolved per worker against the cpuset. */
    public CgroupDef affinity(AffinityIntent a) {
        return new CgroupDef(name, workers, work, cpuset, nice, policy, Optional.of(a), memoryPolicy, knobs);
    }

    /** The NUMA memory policy every worker sets before it runs ({@link MemoryPolicy}). */
    public CgroupDef memoryPolicy(MemoryPolicy m) {
        return new CgroupDef(name, workers, work, cpuset, nice, policy, affinity, Optional.of(m), knobs);
    }

    /**
     * Adds controller knobs, written in order when the cgroup is created (before its workers join) and each read
     * back from inside the guest. A file may be set once per definition.
     */
    public CgroupDef knob(CgroupKnob... more) {
        List<CgroupKnob> all = new ArrayList<>(knobs);
        all.addAll(List.of(more));
        return new CgroupDef(name, workers, work, cpuset, nice, policy, affinity, memoryPolicy, all);
    }

    /** The parent's name for a nested cgroup ({@code "a/b"} → {@code "a"}). */
    Optional<String> parentName() {
        int slash = name.lastIndexOf('/');
        return slash < 0 ? Optional.empty() : Optional.of(name.substring(0, slash));
    }

    /** Letters, digits, {@code _ . -} in each level ('/' nests), never {@code ..}: safe as a cgroupfs path below the root. */
    static boolean usableName(String name) {
        for (String part : name.split("/", -1)) {
            if (!part.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks everything that can be checked before boot from the definition alone; {@code where} prefixes the field
     * names. Whether a worker-less cgroup really has children is checked over the whole scenario. With a null
     * {@code topology} only what needs none (cpusets, affinity and memory-policy nodes are left for later).
     */
    void validate(Topology topology, String where) {
        String f = where + "cgroup";
        String[] parts = name.split("/", -1);
        if (!usableName(name)) {
            throw new InvalidScenarioException(f + ".name", "'" + name + "' is not a usable cgroup name (letters, digits,"
                    + " _ . - in each level; '/' nests)");
        }
        if (parts.length > MAX_DEPTH) {
            throw new InvalidScenarioException(f + ".name", "'" + name + "' nests " + parts.length + " levels deep; at most "
                    + MAX_DEPTH);
        }
        String at = where + "cgroup " + name;
        if (workers < 0 || workers > MAX_WORKERS) {
            throw new InvalidScenarioException(at + ".workers", "must be within 1.." + MAX_WORKERS
                    + " (0 only for a parent of nested cgroups), got " + workers);
        }
        if (nice < -20 || nice > 19) {
            throw new InvalidScenarioException(at + ".nice", "must be within -20..19, got " + nice);
        }
        if (policy.isPresent()) {
            policy.get().validate(at + ".policy");
            if (policy.get() instanceof SchedPolicy.Deadline d) {
                if (cpuset.isPresent() || affinity.filter(a -> !(a instanceof AffinityIntent.Inherit)).isPresent()) {
                    // the kernel refuses (EPERM) a deadline task not allowed on every CPU of its root domain
                    throw new InvalidScenarioException(at + ".policy", "SCHED_DEADLINE workers must be allowed on every"
                            + " CPU (the kernel refuses a deadline task with a narrower affinity): drop the cpuset/affinity");
                }
                if (topology != null && workers * d.bandwidth() > SchedPolicy.Deadline.MAX_SHARE * topology.cpuCount()) {
                    throw new InvalidScenarioException(at + ".policy", workers + " workers reserving " + d.bandwidth()
                            + " of a CPU each exceed the " + SchedPolicy.Deadline.MAX_SHARE + " x " + topology.cpuCount()
                            + " CPUs deadline tasks may have: the kernel would refuse them (EBUSY)");
                }
            }
        }
        Set<String> files = new HashSet<>();
        for (int i = 0; i < knobs.size(); i++) {
            CgroupKnob k = knobs.get(i);
            k.validate(topology, at + ".knobs[" + i + "]");
            if (!files.add(k.file())) {
                throw new InvalidScenarioException(at + ".knobs[" + i + "]", k.file() + " is set twice");
            }
        }
        if (topology == null) {
            return; // validated without a topology yet (Scenarios.validate(steps)): cpusets and nodes come later
        }
        Optional<java.util.BitSet> cpus = cpuset.map(c -> c.resolve(topology, at + ".cpuset"));
        affinity.ifPresent(a -> a.resolve(topology, cpus, workers, name, at + ".affinity"));
        memoryPolicy.ifPresent(m -> m.validate(topology, at + ".memoryPolicy"));
        if (work != null) {
            work.checkTopology(topology, at + ".work");
        }
    }
}
