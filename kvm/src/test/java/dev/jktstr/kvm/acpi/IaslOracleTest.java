package dev.jktstr.kvm.acpi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.kvm.x86.ApicIdLayout;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The independent oracle for the ACPI tables: ACPICA's {@code iasl -d} must disassemble each one
 * without complaint, and what it decodes (APIC ids, proximity domains, distances, processor devices)
 * must match the topology. The RSDP is left out: iasl 20200925 does not take an RSDP as a file
 * (AcpiTablesTest checks it byte by byte).
 */
class IaslOracleTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsIasl() {
        Assumptions.assumeTrue(onPath("iasl"),
                "iasl not found: install acpica-tools (apt-get install acpica-tools) to check the ACPI tables");
    }

    @Test
    void smallTopologyWithDefaults() throws Exception {
        check(ApicIdLayout.of(2, 2, 2, 2), null, null);
    }

    @Test
    void singleCpu() throws Exception {
        check(ApicIdLayout.of(1, 1, 1, 1), null, null);
    }

    @Test
    void x2apicIdsWithinTheMachineCapAndCustomDistancesAndMemory() throws Exception {
        List<List<Integer>> distances = List.of(List.of(10, 21, 31), List.of(21, 10, 17), List.of(31, 17, 10));
        check(ApicIdLayout.of(3, 5, 5, 3), distances, MemoryAffinity.contiguous(3, 1536L << 20));
    }

    @Test
    void x2apicIdsBeyond254() throws Exception {
        check(ApicIdLayout.of(2, 4, 16, 2), null, null);
    }

    private void check(ApicIdLayout t, List<List<Integer>> distances, List<MemoryAffinity> memory) throws Exception {
        AcpiLayout.Builder builder = AcpiLayout.builder(t);
        if (distances != null) {
            builder.distances(distances);
        }
        if (memory != null) {
            builder.memory(memory);
        }
        AcpiTables acpi = builder.build();
        Map<String, String> dsl = new HashMap<>();
        for (FirmwareTable table : acpi.tables()) {
            if (table.signature().equals("RSDP")) {
                continue;
            }
            Path file = dir.resolve(table.signature() + ".dat");
            Files.write(file, table.bytes());
            String log = run(dir, "iasl", "-d", file.getFileName().toString());
            assertThat(log).as("iasl -d " + file.getFileName()).doesNotContainIgnoringCase("error")
                    .doesNotContainIgnoringCase("warning");
            String text = Files.readString(dir.resolve(table.signature() + ".dsl"), StandardCharsets.ISO_8859_1);
            assertThat(text).as(table.signature() + ".dsl").doesNotContain("****");
            dsl.put(table.signature(), text);
        }

        // MADT: processor UID -> APIC id, xAPIC entries up to 254, x2APIC entries above.
        Map<Long, Long> madt = new TreeMap<>();
        for (String sub : subtables(dsl.get("APIC"))) {
            if (sub.contains("[Processor Local APIC]")) {
                assertThat(field(sub, "Local Apic ID")).isLessThanOrEqualTo(254);
                madt.put(field(sub, "Processor ID"), field(sub, "Local Apic ID"));
            } else if (sub.contains("[Processor Local x2APIC]")) {
                assertThat(field(sub, "Processor x2Apic ID")).isGreaterThan(254);
                madt.put(field(sub, "Processor UID"), field(sub, "Processor x2Apic ID"));
            }
        }
        Map<Long, Long> expectedMadt = new TreeMap<>();
        Map<Long, Long> expectedSrat = new TreeMap<>();
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            expectedMadt.put((long) cpu, (long) t.apicId(cpu));
            expectedSrat.put((long) t.apicId(cpu), (long) t.nodeOf(cpu));
        }
        assertThat(madt).isEqualTo(expectedMadt);
        assertThat(dsl.get("APIC")).contains("[I/O APIC]").contains("[Interrupt Source Override]")
                .contains("[Local APIC NMI]");

        // SRAT: APIC id -> proximity domain, memory ranges per node.
        Map<Long, Long> srat = new TreeMap<>();
        List<MemoryAffinity> ranges = new ArrayList<>();
        for (String sub : subtables(dsl.get("SRAT"))) {
            if (sub.contains("[Processor Local APIC/SAPIC Affinity]")) {
                srat.put(field(sub, "Apic ID"),
                        field(sub, "Proximity Domain Low(8)") | field(sub, "Proximity Domain High(24)") << 8);
            } else if (sub.contains("[Processor Local x2APIC Affinity]")) {
                srat.put(field(sub, "Apic ID"), field(sub, "Proximity Domain"));
            } else if (sub.contains("[Memory Affinity]")) {
                ranges.add(new MemoryAffinity(field(sub, "Base Address"), field(sub, "Address Length"),
                        (int) field(sub, "Proximity Domain")));
            }
        }
        assertThat(srat).isEqualTo(expectedSrat);
        assertThat(ranges).isEqualTo(memory != null ? memory : MemoryAffinity.contiguous(t.numaNodes(), 256L << 20));

        // SLIT: one row of hex distances per locality.
        List<List<Integer>> expectedDistances = distances != null ? distances : Slit.defaultDistances(t.numaNodes());
        Matcher m = Pattern.compile("Locality\\s+(\\d+) : ([0-9A-F ]+)").matcher(dsl.get("SLIT"));
        List<List<Integer>> slit = new ArrayList<>();
        while (m.find()) {
            List<Integer> row = new ArrayList<>();
            for (String hex : m.group(2).trim().split(" +")) {
                row.add(Integer.parseInt(hex, 16));
            }
            slit.add(row);
        }
        assertThat(slit).isEqualTo(expectedDistances);

        // DSDT: one ACPI0007 device per CPU with _UID = CPU id, and \_S5.
        String dsdt = dsl.get("DSDT");
        Matcher dev = Pattern.compile("Device \\((C[0-9A-F]{3})\\)\\s*\\{\\s*Name \\(_HID, \"ACPI0007\"[^\\n]*\\n\\s*Name \\(_UID, (\\w+)\\)")
                .matcher(dsdt);
        int devices = 0;
        while (dev.find()) {
            long uid = aslInteger(dev.group(2));
            assertThat(dev.group(1)).isEqualTo(Dsdt.processorDeviceName((int) uid));
            devices++;
        }
        assertThat(devices).isEqualTo(t.cpuCount());
        assertThat(dsdt).contains("Name (_S5, Package (0x04)");

        // ACPICA's interpreter (the code Linux runs) loads the DSDT beside the FADT and evaluates it.
        if (onPath("acpiexec")) {
            String last = Dsdt.processorDeviceName(t.cpuCount() - 1);
            String log = run(dir, "acpiexec", "-b", "evaluate \\_SB." + last + "._UID; evaluate \\_S5",
                    "DSDT.dat", "FACP.dat");
            assertThat(log).doesNotContain("ACPI Error").doesNotContain("ACPI Warning")
                    .contains(t.cpuCount() + " Devices")
                    .containsPattern("Evaluation of \\\\_SB\\." + last + "\\._UID returned[^\\n]*\\n\\s*\\[Integer\\] = 0*"
                            + Integer.toHexString(t.cpuCount() - 1).toUpperCase() + "\\n")
                    .containsPattern("\\[Package\\] Contains 4 Elements:\\s*\\[Integer\\] = 0*5\\b");
        }

        // FADT and XSDT decode with the pointers we laid out.
        assertThat(dsl.get("FACP")).contains("Hardware Reduced (V5) : 1")
                .containsPattern("DSDT Address : 0*" + Long.toHexString(acpi.table("DSDT").address()).toUpperCase());
        for (String sig : List.of("FACP", "APIC", "SRAT", "SLIT")) {
            assertThat(dsl.get("XSDT")).containsPattern(
                    "ACPI Table Address\\s+\\d+ : 0*" + Long.toHexString(acpi.table(sig).address()).toUpperCase());
        }
    }

    private static List<String> subtables(String dsl) {
        String[] parts = dsl.split("(?=\\[[^\\]]*\\]\\s+Subtable Type : )");
        return List.of(parts).subList(1, parts.length);
    }

    private static long field(String subtable, String name) {
        Matcher m = Pattern.compile("\\]\\s+" + Pattern.quote(name) + " : ([0-9A-Fa-f]+)").matcher(subtable);
        if (!m.find()) {
            throw new AssertionError("no field '" + name + "' in:\n" + subtable);
        }
        return Long.parseUnsignedLong(m.group(1), 16);
    }

    private static long aslInteger(String text) {
        return switch (text) {
            case "Zero" -> 0;
            case "One" -> 1;
            default -> Long.decode(text);
        };
    }

    static String run(Path cwd, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
            }
            assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
