package dev.jktstr.cli;

import dev.jktstr.machine.Topology;
import dev.jktstr.machine.TopologyPreset;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jktstr topo}: the named topology presets, with their shape, CPU count and the memory a VM of each gets. */
@Command(name = "topo", mixinStandardHelpOptions = true,
        description = {"Lists the named topology presets (ktstr's gauntlet presets), usable as --topology NAME.",
                "LLCS counts LLCs across the whole machine, as ktstr does; N,L,C,T is jktstr's own notation "
                        + "(NUMA nodes, LLCs per node, cores per LLC, threads per core)."})
final class TopoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%-20s %-10s %5s %5s %5s %8s  %s%n", "NAME", "N,L,C,T", "CPUS", "LLCS", "NODES", "MEMORY", "WHAT");
        for (TopologyPreset p : TopologyPreset.all()) {
            Topology t = p.topology();
            w.printf("%-20s %-10s %5d %5d %5d %5d MiB  %s%n", p.name(), t, t.cpuCount(), t.llcCount(), t.numaNodes(),
                    p.memoryMib(), p.description());
        }
        w.flush();
        return 0;
    }
}
