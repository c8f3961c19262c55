package dev.jktstr.cli;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.acpi.AcpiLayout;
import dev.jktstr.kvm.acpi.AcpiTables;
import dev.jktstr.kvm.acpi.FirmwareTable;
import dev.jktstr.kvm.acpi.MemoryAffinity;
import dev.jktstr.kvm.acpi.MpTable;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.machine.Topology;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jktstr acpi}: writes the ACPI tables (and MP table) our VMM would give a topology, for inspection. */
@Command(name = "acpi", mixinStandardHelpOptions = true,
        description = {"Writes the ACPI tables our VMM generates for a topology as raw files DIR/<SIG>.dat "
                + "(RSDP, XSDT, FACP, DSDT, APIC, SRAT, SLIT) plus DIR/MPTABLE.bin where the MP table can describe it.",
                "Inspect them with: iasl -d DIR/APIC.dat (acpica-tools). Nothing is booted; no KVM needed."})
final class AcpiCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", required = true, paramLabel = "N,L,C,T",
            description = "NUMA nodes, LLCs per node, cores per LLC, threads per core (up to 1024 vCPUs).")
    String topology;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the table files (created).")
    Path out;

    @Option(names = "--memory", paramLabel = "MIB", defaultValue = "256",
            description = "RAM per NUMA node in MiB for the SRAT (default: ${DEFAULT-VALUE}).")
    long memoryMib;

    @Option(names = "--distances", paramLabel = "ROWS",
            description = "NUMA distance matrix for the SLIT, rows separated by ';', e.g. 10,20;20,10 (default: 10 local, 20 remote).")
    String distances;

    @Override
    public Integer call() {
        ApicIdLayout t = ApicIdLayout.of(Topology.parse(topology));
        if (memoryMib < 1 || memoryMib > 1L << 20) {
            throw new TopologyEncodingException("--memory must be 1 to 1048576 MiB per node, got " + memoryMib);
        }
        AcpiLayout.Builder builder = AcpiLayout.builder(t).memory(MemoryAffinity.contiguous(t.numaNodes(), memoryMib << 20));
        if (distances != null && !distances.isBlank()) {
            builder.distances(parseDistances(distances));
        }
        AcpiTables acpi = builder.build();
        PrintWriter w = spec.commandLine().getOut();
        try {
            Files.createDirectories(out);
            for (FirmwareTable table : acpi.tables()) {
                write(w, out.resolve(table.signature() + ".dat"), table);
            }
            try {
                write(w, out.resolve("MPTABLE.bin"), MpTable.build(t));
            } catch (TopologyEncodingException e) {
                w.println("no MPTABLE.bin: " + e.getMessage());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + out + ": " + e.getMessage(), e);
        }
        w.printf("topology %s: %d vCPUs, APIC ids up to %d%s; disassemble with: iasl -d %s%n", t, t.cpuCount(),
                t.maxApicId(), t.maxApicId() > 254 ? " (x2APIC entries)" : "", out.resolve("APIC.dat"));
        w.flush();
        return 0;
    }

    private static void write(PrintWriter w, Path file, FirmwareTable table) throws IOException {
        Files.write(file, table.bytes());
        w.printf("%-12s at 0x%08x  %6d bytes%n", file.getFileName(), table.address(), table.length());
    }

    static List<List<Integer>> parseDistances(String text) {
        List<List<Integer>> rows = new ArrayList<>();
        for (String row : text.split(";")) {
            List<Integer> values = new ArrayList<>();
            for (String v : row.split(",")) {
                try {
                    values.add(Integer.parseInt(v.trim()));
                } catch (NumberFormatException e) {
                    throw new TopologyEncodingException("--distances: '" + v.trim() + "' is not a number (rows like 10,20;20,10)");
                }
            }
            rows.add(List.copyOf(values));
        }
        return List.copyOf(rows);
    }
}
