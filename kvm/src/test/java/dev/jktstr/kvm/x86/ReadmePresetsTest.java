package dev.jktstr.kvm.x86;

import dev.jktstr.machine.Topology;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every preset in the kvm README's "Topology presets" table decodes back from the generated CPUID. */
class ReadmePresetsTest {

    private static final Pattern ROW = Pattern.compile("^\\| ([a-z0-9-]+) \\| (\\d+,\\d+,\\d+,\\d+) \\| (\\d+) \\|$");

    static List<String[]> presets() throws IOException {
        Path readme = Path.of(System.getProperty("jktstr.repo.root", ".."), "kvm", "README.md");
        if (!Files.isRegularFile(readme)) {
            readme = Path.of("README.md"); // run from the module directory
        }
        List<String[]> rows = new ArrayList<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(readme)) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Topology presets");
            }
            Matcher m = ROW.matcher(line);
            if (inSection && m.matches()) {
                rows.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
        }
        return rows;
    }

    static Stream<Arguments> presetsByVendor() throws IOException {
        return presets().stream().flatMap(p -> Stream.of(CpuVendor.values()).map(v -> Arguments.of(p[0], p[1], p[2], v)));
    }

    @Test
    void theTableHasAtLeastTwentyPresetsUpToTwoNodesFourLlcsEightCoresTwoThreads() throws IOException {
        List<String[]> presets = presets();
        assertThat(presets).hasSizeGreaterThanOrEqualTo(20);
        assertThat(presets).extracting(p -> p[1]).contains("1,1,1,1", "2,4,8,2");
    }

    @ParameterizedTest(name = "{0} ({1}) {3}")
    @MethodSource("presetsByVendor")
    void everyVcpuDecodesBack(String name, String topology, String cpus, CpuVendor vendor) {
        ApicIdLayout t = ApicIdLayout.of(Topology.parse(topology));
        assertThat(t.cpuCount()).as("CPU column of " + name).isEqualTo(Integer.parseInt(cpus));
        TopologyCpuid cpuid = new TopologyCpuid(t, CpuidTemplates.forVendor(vendor));
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            CpuidDecoder.DecodedCpu d = CpuidDecoder.decode(cpuid.forVcpu(cpu));
            assertThat(List.of(d.node(), d.llc(), d.core(), d.thread()))
                    .as("cpu %d of %s (%s) on %s", cpu, name, topology, vendor)
                    .isEqualTo(List.of(t.nodeOf(cpu), t.llcInNode(cpu), t.coreInLlc(cpu), t.threadOf(cpu)));
        }
    }
}
