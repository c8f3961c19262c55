package dev.jktstr.jmh;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.Topology;
import dev.jktstr.scenario.CgroupDef;
import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Vm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A booted guest for one JMH trial: topology, kernel and scheduler are {@code @Param}s, so one JMH run compares
 * schedulers (the default: EEVDF and scx_simple) or kernels side by side. Booting takes seconds, so it happens once
 * per trial ({@code Level.Trial}), never per iteration; each benchmark invocation then runs one workload step in
 * that guest with {@link #runStep(List)}.
 */
@State(Scope.Benchmark)
public class GuestTrial {

    /** NUMA nodes, LLCs per node, cores per LLC, threads per core. */
    @Param("1,1,2,1")
    public String topology;

    /** A kernel id as {@code --kernel} takes it (directory, image, cache key, debian:6.12, git:TREE@REF); empty: the standard lookup. */
    @Param("")
    public String kernel;

    /** {@code eevdf}, a scheduler binary's path, or a name ({@link SchedulerChoice} says where names are looked up). */
    @Param({"eevdf", "scx_simple"})
    public String scheduler;

    /** How long one workload step holds in the guest. */
    @Param("3")
    public double stepSeconds;

    /** Guest RAM per NUMA node. */
    @Param("512")
    public long memoryMib;

    private Ctx ctx;

    @Setup(Level.Trial)
    public void boot() {
        Vm.Builder vb = Vm.builder().topology(Topology.parse(topology)).memoryMib(memoryMib);
        KernelImage image = KernelChoice.resolve(kernel);
        vb.kernel(image.image());
        vb.scheduler(SchedulerChoice.resolve(scheduler, image, Path.of("").toAbsolutePath()));
        ctx = vb.build().boot();
        // Steps are measured, not judged: no run here should fail a benchmark on a noisy TCG host.
        ctx.duration(stepDuration());
        System.err.printf("[jktstr-jmh] booted Linux %s (%s, %s) in %d ms%n", ctx.kernelRelease(), topology,
                ctx.scheduler().name(), ctx.bootTime().toMillis());
    }

    @TearDown(Level.Trial)
    public void shutDown() {
        if (ctx != null) {
            ctx.close();
            ctx = null;
        }
    }

    /** The booted guest (after {@link #boot()}). */
    public Ctx ctx() {
        if (ctx == null) {
            throw new IllegalStateException("the guest is not booted: GuestTrial.boot() runs at Level.Trial setup");
        }
        return ctx;
    }

    /** Runs one step: adds {@code cgroups}, holds them for {@code stepSeconds}, stops them; the run's result. */
    public RunResult runStep(List<CgroupDef> cgroups) {
        return Scenarios.execute(ctx(), cgroups);
    }

    Duration stepDuration() {
        if (!(stepSeconds > 0) || stepSeconds > 3600) {
            throw new IllegalArgumentException("stepSeconds must be in (0, 3600], got " + stepSeconds);
        }
        return Duration.ofMillis(Math.round(stepSeconds * 1000));
    }
}
