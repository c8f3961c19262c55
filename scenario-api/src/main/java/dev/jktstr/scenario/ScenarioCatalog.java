package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The canned scenarios, each made for the topology it runs on ({@link Scenarios} hands them out). A new one goes into
 * {@link #canned()} too, so {@code jktstr run NAME} finds it.
 */
final class ScenarioCatalog {
    private ScenarioCatalog() {
    }

    /**
     * Scenarios that split the CPUs in halves (cpusets, affinity, nested parents) or pit workloads against each other
     * judge nothing on one CPU: both halves are CPU 0.
     */
    private static final TopologyRequirements TWO_CPUS = TopologyRequirements.any().minCpus(2);

    /** Two cgroups of spinners that together fill the machine, no cpusets. */
    static Scenario steady() {
        return Scenario.of("steady", t -> List.of(
                CgroupDef.named("cg_0").workers(Math.max(1, t.cpuCount() / 2)),
                CgroupDef.named("cg_1").workers(Math.max(1, t.cpuCount() - t.cpuCount() / 2))));
    }

    /** One cgroup per LLC, confined to it by a cpuset, one spinner per CPU. */
    static Scenario steadyPerLlc() {
        return Scenario.of("steady-per-llc", t -> {
            List<CgroupDef> defs = new ArrayList<>();
            for (int l = 0; l < t.llcCount(); l++) {
                defs.add(CgroupDef.named("llc_" + l).workers(t.cpusPerLlc()).cpuset(CpusetSpec.llc(l)));
            }
            return defs;
        })
                .requiring(TopologyRequirements.any().minLlcs(2));
    }

    /** Two cgroups with twice as many spinners as CPUs in total. */
    static Scenario oversubscribed() {
        return Scenario.of("oversubscribed", t -> List.of(
                CgroupDef.named("cg_0").workers(t.cpuCount()),
                CgroupDef.named("cg_1").workers(t.cpuCount())));
    }

    /** Spinners pinned (affinity) to CPU 0, two per the CPU. */
    static Scenario pinned() {
        return Scenario.of("pinned", t -> List.of(CgroupDef.named("pinned").workers(2).affinity(CpusetSpec.cpus(0))));
    }

    /** Spinners, a pipe ping-pong and a timer sleeper side by side. */
    static Scenario mixedWorkloads() {
        return Scenario.of("mixed", t -> List.of(
                CgroupDef.named("spin").workers(Math.max(1, t.cpuCount() / 2)),
                CgroupDef.named("pipe").workers(2).work(WorkType.pipeIo()),
                CgroupDef.named("timer").workers(1).work(WorkType.timerLatency()),
                CgroupDef.named("phases").workers(1).work(WorkType.sequence(
                        WorkType.phase(WorkType.spinWait(), Duration.ofMillis(100)),
                        WorkType.phase(WorkType.bursty(), Duration.ofMillis(100))))))
                .requiring(TWO_CPUS);
    }

    /** Spinners run unconfined for half the run, then a cpuset confines each cgroup to its half of the CPUs. */
    static Scenario cpusetApply() {
        return new Scenario("cpuset-apply", t -> List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount())),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.5), Op.setCpuset("cg_0", CpusetSpec.slice(0, halves(t))),
                        Op.setCpuset("cg_1", CpusetSpec.slice(halves(t) - 1, halves(t))))))
                .requiring(TWO_CPUS);
    }

    /** Cpusets on for half the run, then cleared. */
    static Scenario cpusetClear() {
        return new Scenario("cpuset-clear", t -> List.of(
                Step.of(HoldSpec.fraction(0.5),
                        Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()).cpuset(CpusetSpec.slice(0, halves(t)))),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()).cpuset(CpusetSpec.slice(halves(t) - 1, halves(t))))),
                Step.of(HoldSpec.fraction(0.5), Op.clearCpuset("cg_0"), Op.clearCpuset("cg_1"))))
                .requiring(TWO_CPUS);
    }

    /** A cgroup confined to CPU 0, then grown to all CPUs, then swapped with its neighbour's. */
    static Scenario cpusetResize() {
        return new Scenario("cpuset-resize", t -> List.of(
                Step.of(HoldSpec.fraction(0.34), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()).cpuset(CpusetSpec.cpus(0))),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(1).cpuset(CpusetSpec.slice(halves(t) - 1, halves(t))))),
                Step.of(HoldSpec.fraction(0.33), Op.setCpuset("cg_0", CpusetSpec.slice(0, 1))),
                Step.of(HoldSpec.fraction(0.33), Op.swapCpusets("cg_0", "cg_1"))))
                .requiring(TWO_CPUS);
    }

    /** A second cgroup comes and goes while the first runs. */
    static Scenario cgroupAddRemove() {
        return new Scenario("cgroup-add-remove", t -> List.of(
                Step.of(HoldSpec.fraction(0.3), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.4), Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.3), Op.removeCgroup("cg_1"))));
    }

    /** Two cgroups whose cpusets swap every 500 ms for the second half of the run. */
    static Scenario cpusetFlip() {
        return new Scenario("cpuset-flip", t -> List.of(
                Step.of(HoldSpec.fraction(0.5),
                        Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()).cpuset(CpusetSpec.slice(0, halves(t)))),
                        Op.addCgroup(CgroupDef.named("cg_1").workers(t.cpuCount()).cpuset(CpusetSpec.slice(halves(t) - 1, halves(t))))),
                Step.of(HoldSpec.loop(0.5, Duration.ofMillis(500)), Op.swapCpusets("cg_0", "cg_1"))))
                .requiring(TWO_CPUS);
    }

    /** Spinners unpinned for half the run, then pinned to the first half of the CPUs. */
    static Scenario affinityChange() {
        return new Scenario("affinity-change", t -> List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg_0").workers(t.cpuCount()))),
                Step.of(HoldSpec.fraction(0.5), Op.setAffinity("cg_0", CpusetSpec.slice(0, halves(t))))))
                .requiring(TWO_CPUS);
    }

    /**
     * Steady, one level down: two parent cgroups, each confined by its cpuset to half of the CPUs (all of them on one
     * CPU), each with two leaf cgroups of spinners (at least one each, about one per CPU of the half in total). The
     * leaves inherit the parent's cpuset, so the isolation check holds them to it; the other checks are steady's.
     */
    static Scenario nestedSteady() {
        return Scenario.of("nested-steady", t -> {
            List<CgroupDef> defs = new ArrayList<>();
            int parts = halves(t);
            for (int p = 0; p < parts; p++) {
                int cpus = CpusetSpec.slice(p, parts).resolve(t, "cpuset").cardinality();
                String parent = "nest_" + p;
                defs.add(CgroupDef.parent(parent).cpuset(CpusetSpec.slice(p, parts)));
                defs.add(CgroupDef.named(parent + "/leaf_0").workers(Math.max(1, cpus / 2)));
                defs.add(CgroupDef.named(parent + "/leaf_1").workers(Math.max(1, cpus - cpus / 2)));
            }
            return defs;
        })
                .requiring(TWO_CPUS);
    }

    private static int halves(Topology t) {
        return t.cpuCount() >= 2 ? 2 : 1;
    }

    /** The canned scenarios by name. */
    /** The wake-up family side by side: a futex fan-out (1 messenger, 2 receivers), a thundering herd, an epoll storm. */
    static Scenario wakeups() {
        return Scenario.of("wakeups", t -> List.of(
                CgroupDef.named("fanout").workers(3).work(WorkType.futexFanOut(2, 500)),
                CgroupDef.named("herd").workers(3).work(WorkType.thunderingHerd()),
                CgroupDef.named("epoll").workers(2).work(WorkType.epollStorm())));
    }

    /** The churn family: cgroups created and removed, cgroup moves as fast as they go, scheduling classes cycled. */
    static Scenario churn() {
        return Scenario.of("churn", t -> List.of(
                CgroupDef.named("cgchurn").workers(2).work(WorkType.cgroupChurn()),
                CgroupDef.named("attach").workers(2).work(WorkType.cgroupAttachStorm()),
                CgroupDef.named("policy").workers(2).work(WorkType.policyChurn())));
    }

    static Map<String, Scenario> canned() {
        Map<String, Scenario> m = new TreeMap<>();
        for (Scenario s : List.of(steady(), steadyPerLlc(), oversubscribed(), pinned(), mixedWorkloads(), cpusetApply(),
                cpusetClear(), cpusetResize(), cgroupAddRemove(), affinityChange(), cpusetFlip(), nestedSteady(), wakeups(),
                churn())) {
            m.put(s.name(), s);
        }
        return m;
    }

    static Scenario byName(String name) {
        Scenario s = canned().get(name);
        if (s == null) {
            throw new InvalidScenarioException("scenario", "no scenario named '" + name + "'; known: " + canned().keySet());
        }
        return s;
    }
}
