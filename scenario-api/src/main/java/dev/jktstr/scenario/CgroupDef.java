package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.Objects;
import java.util.Optional;

/**
 * A cgroup and its workers: {@code CgroupDef.named("cg_0").workers(4).work(WorkType.spinWait()).cpuset(CpusetSpec.llc(0))}.
 * Immutable; every setter returns a copy. Defaults: 1 worker of {@link WorkType#spinWait()}, no cpuset, nice 0,
 * the policy left as inherited, no affinity.
 */
public record CgroupDef(String name, int workers, WorkType work, Optional<CpusetSpec> cpuset, int nice,
        Optional<SchedPolicy> policy, Optional<CpusetSpec> affinity) {

    public static final int MAX_WORKERS = 256;

    public CgroupDef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(cpuset, "cpuset");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(affinity, "affinity");
    }

    public static CgroupDef named(String name) {
        return new CgroupDef(name, 1, WorkType.spinWait(), Optional.empty(), 0, Optional.empty(), Optional.empty());
    }

    public CgroupDef workers(int n) {
        return new CgroupDef(name, n, work, cpuset, nice, policy, affinity);
    }

    public CgroupDef work(WorkType w) {
        return new CgroupDef(name, workers, w, cpuset, nice, policy, affinity);
    }

    public CgroupDef cpuset(CpusetSpec c) {
        return new CgroupDef(name, workers, work, Optional.of(c), nice, policy, affinity);
    }

    public CgroupDef nice(int n) {
        return new CgroupDef(name, workers, work, cpuset, n, policy, affinity);
    }

    public CgroupDef policy(SchedPolicy p) {
        return new CgroupDef(name, workers, work, cpuset, nice, Optional.of(p), affinity);
    }

    /** CPU affinity of every worker (sched_setaffinity), on top of the cgroup's cpuset. */
    public CgroupDef affinity(CpusetSpec a) {
        return new CgroupDef(name, workers, work, cpuset, nice, policy, Optional.of(a));
    }

    /** Checks everything that can be checked before boot; {@code where} prefixes the field names. */
    void validate(Topology topology, String where) {
        String f = where + "cgroup";
        if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")) {
            throw new InvalidScenarioException(f + ".name", "'" + name + "' is not a usable cgroup name (letters, digits, _ . -)");
        }
        String at = where + "cgroup " + name;
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new InvalidScenarioException(at + ".workers", "must be within 1.." + MAX_WORKERS + ", got " + workers);
        }
        if (nice < -20 || nice > 19) {
            throw new InvalidScenarioException(at + ".nice", "must be within -20..19, got " + nice);
        }
        cpuset.ifPresent(c -> c.resolve(topology, at + ".cpuset"));
        affinity.ifPresent(a -> a.resolve(topology, at + ".affinity"));
    }
}
