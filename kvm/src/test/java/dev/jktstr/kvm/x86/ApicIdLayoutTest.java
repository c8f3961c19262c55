package dev.jktstr.kvm.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.machine.InvalidSpecException;
import dev.jktstr.machine.Topology;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApicIdLayoutTest {

    @Test
    void apicIdsComposeThreadCoreLlcNodeFields() {
        ApicIdLayout t = ApicIdLayout.of(2, 2, 3, 2); // core field 2 bits wide for 3 cores
        assertThat(t.threadBits()).isEqualTo(1);
        assertThat(t.coreBits()).isEqualTo(2);
        assertThat(t.llcBits()).isEqualTo(1);
        assertThat(t.llcShift()).isEqualTo(3);
        assertThat(t.nodeShift()).isEqualTo(4);
        assertThat(t.apicId(0)).isEqualTo(0);
        assertThat(t.apicId(1)).isEqualTo(1);
        assertThat(t.apicId(5)).isEqualTo(0b0_0_10_1); // core 2, thread 1
        assertThat(t.apicId(6)).isEqualTo(0b0_1_00_0); // next LLC
        assertThat(t.apicId(12)).isEqualTo(0b1_0_00_0); // next node
        assertThat(t.maxApicId()).isEqualTo(0b1_1_10_1);
    }

    @Test
    void apicIdsAreUniqueAndIncreasing() {
        ApicIdLayout t = ApicIdLayout.of(3, 3, 5, 3);
        Set<Integer> seen = new HashSet<>();
        int last = -1;
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            int id = t.apicId(cpu);
            assertThat(id).isGreaterThan(last).isGreaterThanOrEqualTo(cpu);
            assertThat(seen.add(id)).isTrue();
            last = id;
        }
    }

    @Test
    void agreesWithMachineTopology() {
        Topology machine = new Topology(2, 3, 2, 2);
        ApicIdLayout t = ApicIdLayout.of(machine);
        for (int cpu = 0; cpu < machine.cpuCount(); cpu++) {
            assertThat(t.nodeOf(cpu)).isEqualTo(machine.nodeOf(cpu));
            assertThat(t.nodeOf(cpu) * t.llcsPerNode() + t.llcInNode(cpu)).isEqualTo(machine.llcOf(cpu));
            assertThat((machine.llcOf(cpu)) * t.coresPerLlc() + t.coreInLlc(cpu)).isEqualTo(machine.coreOf(cpu));
            assertThat(t.threadOf(cpu)).isEqualTo(machine.threadOf(cpu));
        }
    }

    @Test
    void powerOfTwoRoundingPushes256CpusPastApicId254() {
        ApicIdLayout t = ApicIdLayout.of(2, 4, 16, 2);
        assertThat(t.cpuCount()).isEqualTo(256);
        assertThat(t.maxApicId()).isEqualTo(255);
        // Within Topology.MAX_CPUS, yet the rounded fields (2+3+3+2 bits) need x2APIC ids too.
        ApicIdLayout holes = ApicIdLayout.of(new Topology(3, 5, 5, 3));
        assertThat(holes.cpuCount()).isEqualTo(225);
        assertThat(holes.maxApicId()).isEqualTo(658);
    }

    @Test
    void rejectsWhatKvmCannotCreateNamingTheLimit() {
        assertThatThrownBy(() -> ApicIdLayout.of(8, 8, 8, 4))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("at most 1024");
        // 1000 CPUs whose rounded fields waste the most still stay below KVM's vCPU id limit.
        assertThat(ApicIdLayout.of(8, 5, 5, 5).maxApicId()).isLessThanOrEqualTo(ApicIdLayout.MAX_APIC_ID);
        assertThatThrownBy(() -> ApicIdLayout.of(1, 0, 1, 1))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("llcsPerNode");
    }

    @Test
    void parsesThroughTheOneTopology() {
        assertThat(ApicIdLayout.of(Topology.parse(" 2, 4,16 ,2"))).isEqualTo(ApicIdLayout.of(2, 4, 16, 2));
        assertThatThrownBy(() -> ApicIdLayout.of(Topology.parse("2,4")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("N,L,C,T");
        assertThatThrownBy(() -> ApicIdLayout.of(Topology.parse("2,x,1,1")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'x'");
    }
}
