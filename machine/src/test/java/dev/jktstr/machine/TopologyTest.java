package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTest {

    @Test
    void parsesAndCounts() {
        Topology t = Topology.parse(" 2, 2,2 ,1");
        assertThat(t).isEqualTo(new Topology(2, 2, 2, 1));
        assertThat(t.cpuCount()).isEqualTo(8);
        assertThat(t.llcCount()).isEqualTo(4);
        assertThat(t.coreCount()).isEqualTo(8);
        assertThat(t.toString()).isEqualTo("2,2,2,1");
    }

    @Test
    void cpuIdsAreDenseNodeThenLlcThenCoreThenThread() {
        Topology t = new Topology(2, 2, 3, 2); // 24 CPUs
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            int thread = cpu % 2;
            int core = (cpu / 2) % 3;
            int llc = (cpu / 6) % 2;
            int node = cpu / 12;
            assertThat(t.threadOf(cpu)).isEqualTo(thread);
            assertThat(t.coreOf(cpu)).isEqualTo((node * 2 + llc) * 3 + core);
            assertThat(t.llcOf(cpu)).isEqualTo(node * 2 + llc);
            assertThat(t.nodeOf(cpu)).isEqualTo(node);
        }
        assertThat(t.cpusOfNode(1)).containsExactly(12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
        assertThat(t.cpusOfLlc(1)).containsExactly(6, 7, 8, 9, 10, 11);
        assertThat(t.cpusOfCore(4)).containsExactly(8, 9);
    }

    @Test
    void badFieldsAreNamed() {
        assertThatThrownBy(() -> Topology.parse("1,0,2,1"))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("llcsPerNode"));
        assertThatThrownBy(() -> Topology.parse("1,1,x,1"))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("coresPerLlc"));
        assertThatThrownBy(() -> Topology.parse("1,1,1"))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("topology"));
        assertThatThrownBy(() -> new Topology(1, 1, 1, -2))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("threadsPerCore"));
        assertThatThrownBy(() -> new Topology(8, 8, 4, 5))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.getMessage()).contains("1280 CPUs"));
    }

    @Test
    void eachBackendHasItsOwnCpuLimit() {
        MachineBackend small = new MachineBackend() {
            public String name() { return "small"; }
            public int speedRank() { return 1; }
            public Support canBoot(MachineSpec spec) { return cpuLimitExceeded(spec).orElse(Support.yes("fits")); }
            public int maxCpus() { return 255; }
            public Machine boot(MachineSpec spec) { throw new UnsupportedOperationException(); }
        };
        MachineSpec.Builder spec = MachineSpec.builder(java.nio.file.Path.of("/nonexistent/bzImage"));
        assertThat(small.canBoot(spec.topology(new Topology(1, 1, 255, 1)).build()).ok()).isTrue();
        assertThat(small.canBoot(spec.topology(new Topology(4, 4, 4, 4)).build()).reason())
                .isEqualTo("topology 4,4,4,4 has 256 CPUs; the small backend creates at most 255 here");
    }

    @Test
    void cpuListNotation() {
        assertThat(Topology.cpuList(List.of(0))).isEqualTo("0");
        assertThat(Topology.cpuList(List.of(0, 1, 2, 3))).isEqualTo("0-3");
        assertThat(Topology.cpuList(List.of(0, 1, 4, 6, 7))).isEqualTo("0-1,4,6-7");
        assertThat(Topology.cpuList(List.of())).isEmpty();
    }
}
