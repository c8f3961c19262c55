package dev.jktstr.cli;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.machine.Topology;
import dev.jktstr.kvm.x86.CpuVendor;
import dev.jktstr.kvm.x86.CpuidDecoder;
import dev.jktstr.kvm.x86.CpuidTemplates;
import dev.jktstr.kvm.x86.TopologyCpuid;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jktstr cpuid}: the per-vCPU CPUID topology our VMM generates, decoded back as a guest would. */
@Command(name = "cpuid", mixinStandardHelpOptions = true,
        description = {"Generates the per-vCPU CPUID leaves for a topology (from a fixed Intel or AMD template of "
                + "KVM's supported CPUID, not this host's) and prints, per vCPU, the APIC id and the node, LLC, core "
                + "and thread decoded back from leaves 0x1F/0xB and the cache leaf.",
                "Exit status 1 if any vCPU decodes to the wrong place. No KVM needed."})
final class CpuidCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", required = true, paramLabel = "N,L,C,T",
            description = "NUMA nodes, LLCs per node, cores per LLC, threads per core (up to 1024 vCPUs).")
    String topology;

    @Option(names = "--vendor", paramLabel = "intel|amd", defaultValue = "intel",
            description = "CPU vendor of the template (default: ${DEFAULT-VALUE}).")
    String vendor;

    @Override
    public Integer call() {
        ApicIdLayout t = ApicIdLayout.of(Topology.parse(topology));
        CpuVendor v = switch (vendor.toLowerCase(Locale.ROOT)) {
            case "intel" -> CpuVendor.INTEL;
            case "amd" -> CpuVendor.AMD;
            default -> throw new TopologyEncodingException("--vendor must be intel or amd, got '" + vendor + "'");
        };
        TopologyCpuid cpuid = new TopologyCpuid(t, CpuidTemplates.forVendor(v));
        PrintWriter w = spec.commandLine().getOut();
        w.printf("topology %s: %d vCPUs, %s template, APIC id fields thread %d, core %d, LLC %d bits%s%n", t,
                t.cpuCount(), v.name().toLowerCase(Locale.ROOT), t.threadBits(), t.coreBits(), t.llcBits(),
                t.maxApicId() > 254 ? ", x2APIC ids above 254" : "");
        if (!cpuid.apicIdsReachable()) {
            w.println("warning: APIC ids above 255 need KVM feature MSI_EXT_DEST_ID, which the template lacks");
        }
        w.printf("%5s %8s %5s %4s %5s %6s %5s%n", "cpu", "apic-id", "node", "llc", "core", "thread", "leaf");
        int wrong = 0;
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            CpuidDecoder.DecodedCpu d = CpuidDecoder.decode(cpuid.forVcpu(cpu));
            boolean ok = d.x2apicId() == t.apicId(cpu) && d.node() == t.nodeOf(cpu) && d.llc() == t.llcInNode(cpu)
                    && d.core() == t.coreInLlc(cpu) && d.thread() == t.threadOf(cpu);
            if (!ok) {
                wrong++;
            }
            w.printf("%5d %8s %5d %4d %5d %6d %5s%s%n", cpu, "0x" + Integer.toHexString(d.x2apicId()), d.node(), d.llc(),
                    d.core(), d.thread(), d.topologyLeaf(), ok ? "" : "  MISMATCH: expected node " + t.nodeOf(cpu)
                            + " llc " + t.llcInNode(cpu) + " core " + t.coreInLlc(cpu) + " thread " + t.threadOf(cpu));
        }
        w.println(wrong == 0 ? "all " + t.cpuCount() + " vCPUs decode back to their place"
                : wrong + " of " + t.cpuCount() + " vCPUs decode to the wrong place");
        w.flush();
        return wrong == 0 ? 0 : 1;
    }
}
