package dev.jktstr.scenario;

import dev.jktstr.guest.GuestException;
import dev.jktstr.guest.WorkerCpus;
import dev.jktstr.guest.WorkerGroup;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Isolation per step (see {@link StepIsolation}): at the start of each hold it takes and forgets the CPUs every
 * running worker was seen on (the agent's {@code WORKERS_CPUS}), at its end takes them again and records them per step
 * and cgroup against the CPUs each worker was allowed then; after the run it judges the cgroups whose allowed CPUs
 * changed. A failing take is noted once, and the holds from then on are recorded as not known.
 */
final class StepIsolationTracker {
    /** How {@link StepCpus#allowed} says "every CPU". */
    private static final String ALL = "all";
    /** Worker groups per {@code WORKERS_CPUS} request. */
    private static final int GROUPS_PER_REQUEST = 64;

    private final Ctx ctx;
    private final RunCgroups cgroups;
    private final RunRecord record;
    private final Map<String, StepCpus> stepCpus = new LinkedHashMap<>(); // "step/cgroup"
    private String cpusUnavailable; // why WORKERS_CPUS stopped working, once it did
    private boolean cpusCleared; // the take at the start of the current hold went through

    /** What one cgroup's workers used during one step's holds. */
    private static final class StepCpus {
        final int step;
        final String cgroup;
        final LinkedHashSet<String> allowed = new LinkedHashSet<>(); // ALL when unrestricted
        final Map<Integer, BitSet> used = new LinkedHashMap<>();
        final Map<Integer, BitSet> outside = new LinkedHashMap<>();
        String missing; // why some hold's CPUs are not known

        StepCpus(int step, String cgroup) {
            this.step = step;
            this.cgroup = cgroup;
        }

        boolean everRestricted() {
            return allowed.stream().anyMatch(a -> !a.equals(ALL));
        }

        StepIsolation subject() {
            Map<Integer, List<Integer>> u = new LinkedHashMap<>();
            used.forEach((pid, b) -> u.put(pid, b.stream().boxed().toList()));
            Map<Integer, List<Integer>> o = new LinkedHashMap<>();
            outside.forEach((pid, b) -> o.put(pid, b.stream().boxed().toList()));
            return new StepIsolation(step, cgroup, allowed.stream().filter(a -> !a.equals(ALL)).toList(), u, o);
        }
    }

    StepIsolationTracker(Ctx ctx, RunCgroups cgroups, RunRecord record) {
        this.ctx = ctx;
        this.cgroups = cgroups;
        this.record = record;
    }

    /** A hold starts: forgets what the workers used before the cpusets now in force applied. */
    void holdStarts() {
        takeCpus(false);
    }

    /** A hold ends: what the workers used during it goes to the current step. */
    void holdEnds() {
        takeCpus(true);
    }

    /**
     * Takes the CPUs every running worker used since the last take ({@code WORKERS_CPUS}); with {@code record}, at
     * the end of a hold, adds them to the step's {@link StepCpus}, against the CPUs each worker is allowed now.
     */
    private void takeCpus(boolean recordThem) {
        int step = record.step;
        List<WorkerGroup> groups = new ArrayList<>();
        Map<Integer, LiveCgroup> owner = new HashMap<>();
        for (LiveCgroup c : cgroups.live()) {
            for (WorkerGroup g : c.groups) {
                groups.add(g);
                owner.put(g.id(), c);
            }
        }
        if (recordThem) {
            for (WorkerGroup g : groups) {
                LiveCgroup c = owner.get(g.id());
                stepCpus.computeIfAbsent(step + "/" + c.def.name(), k -> new StepCpus(step, c.def.name())).allowed
                        .add(cgroups.allowedNow(c, g.id()).map(CpusetSpec::format).orElse(ALL));
            }
        }
        String missing = cpusUnavailable != null ? cpusUnavailable
                : recordThem && !cpusCleared ? "the CPUs used before step " + step + "'s hold could not be told apart" : null;
        if (cpusUnavailable == null && !groups.isEmpty()) {
            try {
                for (int from = 0; from < groups.size(); from += GROUPS_PER_REQUEST) {
                    var taken = ctx.agent().takeWorkerCpus(groups.subList(from, Math.min(groups.size(), from + GROUPS_PER_REQUEST)));
                    if (recordThem && missing == null) {
                        taken.forEach((id, workers) -> recordCpus(owner.get(id), id, workers));
                    }
                }
            } catch (GuestException e) {
                cpusUnavailable = "the agent did not say which CPUs the workers used (" + e.getMessage() + ")";
                record.note("isolation per step: " + cpusUnavailable);
                missing = cpusUnavailable;
            }
        }
        if (recordThem && missing != null) {
            for (WorkerGroup g : groups) {
                StepCpus acc = stepCpus.get(step + "/" + owner.get(g.id()).def.name());
                if (acc.missing == null) {
                    acc.missing = missing;
                }
            }
        }
        cpusCleared = !recordThem && cpusUnavailable == null;
    }

    private void recordCpus(LiveCgroup c, int groupId, List<WorkerCpus> workers) {
        StepCpus acc = stepCpus.get(record.step + "/" + c.def.name());
        Optional<BitSet> allowed = cgroups.allowedNow(c, groupId);
        for (WorkerCpus w : workers) {
            BitSet used = acc.used.computeIfAbsent(w.pid(), p -> new BitSet());
            for (int cpu : w.cpus()) {
                used.set(cpu);
                if (allowed.isPresent() && !allowed.get().get(cpu)) {
                    acc.outside.computeIfAbsent(w.pid(), p -> new BitSet()).set(cpu);
                }
            }
        }
    }

    /**
     * Isolation per step, for each cgroup whose allowed CPUs changed during the run (one whose CPUs stayed the same
     * is judged by the run-wide claim): a claim per step it was restricted in, a SKIP row where that step cannot be
     * judged (CPUs not known, no worker ran), and a SKIP row for the run-wide claim of a cgroup that was
     * unrestricted for part of the run, which has no one cpuset to be judged against.
     */
    void judge(Verdict v, Assert thresholds, List<CgroupStats> stats) {
        if (thresholds.cpusetIsolation() == null || !thresholds.cpusetIsolation()) {
            return;
        }
        Map<String, List<StepCpus>> byCgroup = new LinkedHashMap<>();
        stepCpus.values().forEach(s -> byCgroup.computeIfAbsent(s.cgroup, k -> new ArrayList<>()).add(s));
        for (var e : byCgroup.entrySet()) {
            Set<String> seen = new LinkedHashSet<>();
            e.getValue().forEach(s -> seen.addAll(s.allowed));
            if (seen.size() <= 1) {
                continue;
            }
            List<String> judged = new ArrayList<>();
            List<Integer> unrestricted = new ArrayList<>();
            List<Integer> restricted = new ArrayList<>();
            for (StepCpus s : e.getValue()) {
                if (!s.everRestricted()) {
                    unrestricted.add(s.step);
                    continue;
                }
                restricted.add(s.step);
                StepIsolation subject = s.subject();
                Verdict.Claim c = v.claim(StepIsolation::workersOutsideCpuset, subject);
                judged.add(subject.label() + ".workersOutsideCpuset");
                if (s.missing != null) {
                    c.skip("cannot be judged: " + s.missing);
                } else if (!subject.anyUsed()) {
                    c.skip("cannot be judged: no worker of " + s.cgroup + " did an iteration during step " + s.step
                            + "'s hold");
                } else {
                    c.detail(subject.describe()).eq(0);
                }
            }
            Optional<CgroupStats> run = stats.stream().filter(cs -> cs.name().equals(e.getKey())).findFirst();
            if (!unrestricted.isEmpty() && run.isPresent() && run.get().cpuset().isEmpty() && !run.get().workers().isEmpty()) {
                v.claim(CgroupStats::workersOutsideCpuset, run.get()).skip("no one cpuset to judge the run against: "
                        + e.getKey() + " was unrestricted in " + steps(unrestricted) + " and restricted in "
                        + steps(restricted) + "; judged per step: " + String.join(", ", judged));
            }
        }
    }

    private static String steps(List<Integer> steps) {
        return (steps.size() > 1 ? "steps " : "step ") + steps.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
