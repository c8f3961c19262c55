package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TopologyPresetTest {

    /** ktstr's own pinned table: name → (LLCs across the machine, CPUs). */
    private static final Map<String, List<Integer>> KTSTR = Map.ofEntries(
            Map.entry("tiny-1llc", List.of(1, 4)), Map.entry("tiny-2llc", List.of(2, 4)),
            Map.entry("odd-3llc", List.of(3, 9)), Map.entry("odd-5llc", List.of(5, 15)),
            Map.entry("odd-7llc", List.of(7, 14)), Map.entry("smt-2llc", List.of(2, 8)),
            Map.entry("smt-3llc", List.of(3, 12)), Map.entry("medium-4llc", List.of(4, 32)),
            Map.entry("medium-8llc", List.of(8, 64)), Map.entry("large-4llc", List.of(4, 128)),
            Map.entry("large-8llc", List.of(8, 128)), Map.entry("near-max-llc", List.of(15, 240)),
            Map.entry("max-cpu", List.of(14, 252)), Map.entry("medium-4llc-nosmt", List.of(4, 32)),
            Map.entry("medium-8llc-nosmt", List.of(8, 64)), Map.entry("large-4llc-nosmt", List.of(4, 128)),
            Map.entry("large-8llc-nosmt", List.of(8, 128)), Map.entry("near-max-llc-nosmt", List.of(15, 240)),
            Map.entry("max-cpu-nosmt", List.of(14, 252)), Map.entry("numa2-4llc", List.of(4, 16)),
            Map.entry("numa2-8llc", List.of(8, 128)), Map.entry("numa2-8llc-nosmt", List.of(8, 128)),
            Map.entry("numa4-8llc", List.of(8, 32)), Map.entry("numa4-12llc", List.of(12, 192)));

    @Test
    void theTwentyFourPresetsHaveKtstrsShapes() {
        assertThat(TopologyPreset.all()).hasSize(24);
        Map<String, List<Integer>> ours = TopologyPreset.all().stream().collect(Collectors.toMap(TopologyPreset::name,
                p -> List.of(p.topology().llcCount(), p.topology().cpuCount())));
        assertThat(ours).isEqualTo(KTSTR);
        for (TopologyPreset p : TopologyPreset.all()) {
            assertThat(p.description()).as(p.name()).startsWith(p.topology().cpuCount() + " CPUs");
            if (p.name().endsWith("-nosmt")) {
                assertThat(p.topology().threadsPerCore()).as(p.name()).isEqualTo(1);
            }
            if (p.name().startsWith("smt-")) {
                assertThat(p.topology().threadsPerCore()).as(p.name()).isEqualTo(2);
            }
            if (p.name().startsWith("odd-")) {
                assertThat(p.topology().llcCount() % 2).as(p.name()).isEqualTo(1);
            }
            assertThat(p.memoryMib()).as(p.name()).isGreaterThanOrEqualTo(8 * p.topology().cpuCount());
            assertThat(p.memoryPerNodeMib() * p.topology().numaNodes()).isEqualTo(p.memoryMib());
        }
        assertThat(TopologyPreset.named("numa2-8llc").topology()).isEqualTo(new Topology(2, 4, 8, 2));
        assertThat(TopologyPreset.named("numa4-12llc").topology()).isEqualTo(new Topology(4, 3, 8, 2));
    }

    @Test
    void aPresetNameIsATopologyWhereverOneIsParsed() {
        assertThat(Topology.parse("odd-3llc")).isEqualTo(new Topology(1, 3, 3, 1));
        assertThat(Topology.parse(" SMT-2LLC ")).isEqualTo(new Topology(1, 2, 2, 2));
        assertThat(Topology.preset("tiny-1llc")).isEqualTo(new Topology(1, 1, 4, 1));
        assertThat(Topology.parse("1,2,2,2")).isEqualTo(new Topology(1, 2, 2, 2));
    }

    @Test
    void anUnknownNameListsTheValidOnes() {
        assertThatThrownBy(() -> Topology.parse("odd-4llc"))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("topology"))
                .hasMessageContaining("no preset named 'odd-4llc'")
                .hasMessageContaining("tiny-1llc, tiny-2llc, odd-3llc")
                .hasMessageContaining("N,L,C,T");
    }

    @Test
    void ktstrsMachineWideLlcsMustSplitOverTheNodes() {
        assertThat(Topology.fromMachineWideLlcs(4, 8, 4, 1)).isEqualTo(new Topology(4, 2, 4, 1));
        assertThatThrownBy(() -> Topology.fromMachineWideLlcs(2, 3, 4, 1))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("3 LLCs do not split evenly over 2 NUMA nodes");
        assertThatThrownBy(() -> Topology.fromMachineWideLlcs(4, 2, 4, 1)).isInstanceOf(InvalidSpecException.class);
    }
}
