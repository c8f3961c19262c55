package dev.jktstr.scenario;

import dev.jktstr.machine.Topology;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where scenarios start: runs them ({@link #execute}, {@link #executeSteps}, {@link #run}), validates them
 * ({@link #validate}) and hands out the canned ones ({@link #canned()}, {@link #byName}). Every scenario is validated
 * against the topology before the first op reaches the guest. The work is done by {@link ScenarioValidator},
 * {@link ScenarioRunner} (with its {@link OpInterpreter}) and {@link ScenarioCatalog}.
 */
public final class Scenarios {
    private Scenarios() {
    }

    // ---------------------------------------------------------------- canned scenarios

    /** Two cgroups of spinners that together fill the machine, no cpusets. */
    public static Scenario steady() {
        return ScenarioCatalog.steady();
    }

    /** One cgroup per LLC, confined to it by a cpuset, one spinner per CPU. */
    public static Scenario steadyPerLlc() {
        return ScenarioCatalog.steadyPerLlc();
    }

    /** Two cgroups with twice as many spinners as CPUs in total. */
    public static Scenario oversubscribed() {
        return ScenarioCatalog.oversubscribed();
    }

    /** Spinners pinned (affinity) to CPU 0, two per the CPU. */
    public static Scenario pinned() {
        return ScenarioCatalog.pinned();
    }

    /** Spinners, a pipe ping-pong and a timer sleeper side by side. */
    public static Scenario mixedWorkloads() {
        return ScenarioCatalog.mixedWorkloads();
    }

    /** Spinners run unconfined for half the run, then a cpuset confines each cgroup to its half of the CPUs. */
    public static Scenario cpusetApply() {
        return ScenarioCatalog.cpusetApply();
    }

    /** Cpusets on for half the run, then cleared. */
    public static Scenario cpusetClear() {
        return ScenarioCatalog.cpusetClear();
    }

    /** A cgroup confined to CPU 0, then grown to all CPUs, then swapped with its neighbour's. */
    public static Scenario cpusetResize() {
        return ScenarioCatalog.cpusetResize();
    }

    /** A second cgroup comes and goes while the first runs. */
    public static Scenario cgroupAddRemove() {
        return ScenarioCatalog.cgroupAddRemove();
    }

    /** Two cgroups whose cpusets swap every 500 ms for the second half of the run. */
    public static Scenario cpusetFlip() {
        return ScenarioCatalog.cpusetFlip();
    }

    /** Spinners unpinned for half the run, then pinned to the first half of the CPUs. */
    public static Scenario affinityChange() {
        return ScenarioCatalog.affinityChange();
    }

    /**
     * Steady, one level down: two parent cgroups, each confined by its cpuset to half of the CPUs, each with two leaf
     * cgroups of spinners; the leaves are held to their parent's cpuset.
     */
    public static Scenario nestedSteady() {
        return ScenarioCatalog.nestedSteady();
    }

    /** The canned scenarios by name. */
    public static Map<String, Scenario> canned() {
        return ScenarioCatalog.canned();
    }

    /** The canned scenario {@code name}; an {@link InvalidScenarioException} naming the known ones otherwise. */
    public static Scenario byName(String name) {
        return ScenarioCatalog.byName(name);
    }

    /** For tests and tools: the names {@link #canned()} knows, in order. */
    static List<String> cannedNames() {
        return List.copyOf(canned().keySet());
    }

    // ---------------------------------------------------------------- validation

    /** One step that adds {@code defs} and holds for the whole run. */
    static Step addAllAndHold(List<CgroupDef> defs) {
        return new Step(defs.stream().map(Op::addCgroup).toList(), HoldSpec.fraction(1.0));
    }

    /**
     * Rejects what cannot run, naming the field: unknown cgroups in ops, cpusets outside the topology, bad worker
     * counts, negative holds, duplicate names. Nothing is booted or sent.
     */
    public static void validate(Topology topology, List<Step> steps) {
        ScenarioValidator.validate(Objects.requireNonNull(topology, "topology"), steps);
    }

    /**
     * Everything {@link #validate(Topology, List)} checks that needs no topology: each op against the cgroups that
     * exist at that point of the scenario (a cgroup removed, frozen or moved from before it was added or after it was
     * removed), parents and children, names, counts, holds, scheduler binaries. {@link Scenario#of(String, List)}
     * runs it when a scenario is built; cpusets and NUMA nodes are checked against the topology before the boot.
     */
    public static void validate(List<Step> steps) {
        ScenarioValidator.validate(null, steps);
    }

    // ---------------------------------------------------------------- execution

    /**
     * Runs {@code scenario} on a booted guest: made for the context's topology ({@link Scenario#stepsFor}), validated
     * against it, the context's watches checked against its schedulers ({@link MapWatchCheck}), run, judged with the
     * context's thresholds, and handed to the context's result listeners. The one entry point: a list of cgroups is
     * {@code Scenario.of(name, t -> List.of(defs...))}, a list of steps is {@code Scenario.of(name, steps)}.
     */
    public static RunResult run(Ctx ctx, Scenario scenario) {
        return runSteps(ctx, scenario.name(), scenario.steps().apply(ctx.topology()));
    }

    /**
     * Adds {@code defs}, holds for the context's duration, and checks the run with the context's thresholds.
     *
     * @deprecated use {@link #run(Ctx, Scenario)} with {@code Scenario.of("custom", t -> defs)}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public static RunResult execute(Ctx ctx, List<CgroupDef> defs) {
        return runSteps(ctx, "custom", List.of(addAllAndHold(defs)));
    }

    /**
     * Runs {@code steps} as the run "custom".
     *
     * @deprecated use {@link #run(Ctx, Scenario)} with {@code Scenario.of("custom", steps)}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public static RunResult executeSteps(Ctx ctx, List<Step> steps) {
        return runSteps(ctx, "custom", steps);
    }

    /**
     * Validates {@code steps} against the context's topology, runs them, and hands the result to its listeners.
     *
     * @deprecated use {@link #run(Ctx, Scenario)} with {@code Scenario.of(name, steps)}
     */
    @Deprecated(since = "0.1.0", forRemoval = true)
    public static RunResult executeSteps(Ctx ctx, String name, List<Step> steps) {
        return runSteps(ctx, name, steps);
    }

    private static RunResult runSteps(Ctx ctx, String name, List<Step> steps) {
        validate(ctx.topology(), steps);
        // a watch no scheduler of the run declares is refused now, not after the run it would fail
        MapWatchCheck.check(ctx.watches(), ctx.currentScheduler(), steps);
        RunResult r = ScenarioRunner.run(ctx, name, steps);
        ctx.reportResult(r);
        return r;
    }
}
