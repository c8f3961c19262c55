package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Knob values in the kernel's own format and their validation before boot (the kernel's ranges; no VM). */
class CgroupKnobTest {
    private static final Topology TWO_NODES = new Topology(2, 1, 2, 1);

    @Test
    void valuesAreInTheFilesFormat() {
        assertThat(CgroupKnob.cpuMax(50_000, 100_000).value()).isEqualTo("50000 100000");
        assertThat(CgroupKnob.cpuMax(CgroupKnob.MAX, 100_000).value()).isEqualTo("max 100000");
        assertThat(CgroupKnob.memoryMax(CgroupKnob.MAX).value()).isEqualTo("max");
        assertThat(CgroupKnob.swapMax(0).file()).isEqualTo("memory.swap.max");
        assertThat(CgroupKnob.cpusetMems(1, 0).value()).isEqualTo("0-1");
        assertThat(CgroupKnob.ioWeight(50).holdsAsWritten("default 50")).isTrue();
        assertThat(CgroupKnob.ioWeight(50).holdsAsWritten("default 100")).isFalse();
    }

    @Test
    void outOfRangeValuesAreRefusedNamingTheField() {
        for (CgroupKnob bad : List.of(CgroupKnob.cpuMax(999, 100_000), CgroupKnob.cpuMax(50_000, 999),
                CgroupKnob.cpuMax(50_000, 1_000_001), CgroupKnob.cpuWeight(0), CgroupKnob.cpuWeight(10_001),
                CgroupKnob.ioWeight(0), CgroupKnob.memoryMax(-5), CgroupKnob.memoryLow(CgroupKnob.MAX),
                CgroupKnob.pidsMax(-2), CgroupKnob.pidsMax(5L << 20), CgroupKnob.cpusetMems(2), CgroupKnob.cpusetMems())) {
            assertThatThrownBy(() -> bad.validate(TWO_NODES, "f")).as(bad.toString())
                    .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("f");
        }
        CgroupKnob.cpuMax(1000, 1000).validate(TWO_NODES, "f");
        CgroupKnob.cpuMax(CgroupKnob.MAX, 1_000_000).validate(TWO_NODES, "f");
        CgroupKnob.cpusetMems(0, 1).validate(TWO_NODES, "f");
        CgroupKnob.pidsMax(CgroupKnob.MAX).validate(TWO_NODES, "f");
    }

    @Test
    void aScenarioWithABadKnobIsRefusedBeforeBoot() {
        CgroupDef twice = CgroupDef.named("cg").knob(CgroupKnob.pidsMax(3), CgroupKnob.pidsMax(4));
        assertThatThrownBy(() -> ScenarioValidator.validate(TWO_NODES, List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(twice))))).isInstanceOf(InvalidScenarioException.class).hasMessageContaining("set twice");
        assertThatThrownBy(() -> ScenarioValidator.validate(TWO_NODES, List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(CgroupDef.named("cg")), Op.setKnob("cg", CgroupKnob.cpuMax(10, 100_000))))))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("quota");
        assertThatThrownBy(() -> ScenarioValidator.validate(TWO_NODES, List.of(Step.of(HoldSpec.fraction(1),
                Op.setKnob("nope", CgroupKnob.pidsMax(1)))))).isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("unknown cgroup");
        ScenarioValidator.validate(TWO_NODES, List.of(Step.of(HoldSpec.fraction(1), Op.addCgroup(CgroupDef.named("cg")
                .knob(CgroupKnob.cpuWeight(200), CgroupKnob.pidsMax(16))), Op.setKnob("cg", CgroupKnob.cpuWeight(50)))));
    }
}
