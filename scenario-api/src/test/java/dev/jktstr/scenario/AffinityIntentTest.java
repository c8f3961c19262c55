package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.Topology;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Affinity intents and the fractional cpusets resolved against topologies (no VM). The oracle is the topology's own
 * numbering: CPUs are dense, LLC by LLC, core by core, thread by thread (machine's Topology).
 */
class AffinityIntentTest {
    /** 1 node, 2 LLCs, 2 cores each, 2 threads: CPUs 0-7, LLC 0 = 0-3, core 0 = 0-1. */
    private static final Topology SMT = new Topology(1, 2, 2, 2);
    private static final Topology NO_SMT = new Topology(1, 2, 2, 1);

    private static String cpus(List<BitSet> masks) {
        return String.join(" ", masks.stream().map(CpusetSpec::format).toList());
    }

    private static Optional<BitSet> set(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            b.set(c);
        }
        return Optional.of(b);
    }

    @Test
    void eachIntentResolvesPerWorker() {
        assertThat(cpus(AffinityIntent.inherit().resolve(SMT, Optional.empty(), 2, "cg", "f"))).isEqualTo(" ");
        assertThat(cpus(AffinityIntent.singleCpu().resolve(SMT, set(4, 5, 6), 4, "cg", "f"))).isEqualTo("4 5 6 4");
        assertThat(cpus(AffinityIntent.llcAligned().resolve(SMT, set(3, 4, 5), 1, "cg", "f"))).isEqualTo("3");
        assertThat(cpus(AffinityIntent.llcAligned().resolve(SMT, Optional.empty(), 1, "cg", "f"))).isEqualTo("0-3");
        assertThat(cpus(AffinityIntent.crossCgroup().resolve(SMT, set(0), 1, "cg", "f"))).isEqualTo("0-7");
        assertThat(cpus(AffinityIntent.exact(CpusetSpec.cpus(4, 5)).resolve(SMT, set(4, 5, 6), 2, "cg", "f")))
                .isEqualTo("4-5 4-5");
        assertThat(cpus(AffinityIntent.smtSiblingPair().resolve(SMT, Optional.empty(), 1, "cg", "f"))).isEqualTo("0-1");
        assertThat(cpus(AffinityIntent.smtSiblingPair().resolve(SMT, set(1, 2, 3), 1, "cg", "f"))).isEqualTo("2-3");
    }

    @Test
    void randomSubsetsStayInTheCpusetAndRepeatForTheSameCgroup() {
        AffinityIntent r = AffinityIntent.randomSubset(CpusetSpec.llc(1), 2);
        List<BitSet> masks = r.resolve(SMT, set(4, 5, 6, 7, 0), 8, "cg", "f");
        assertThat(masks).hasSize(8).allSatisfy(m -> {
            assertThat(m.cardinality()).isEqualTo(2);
            assertThat(m.stream()).allMatch(c -> c >= 4 && c <= 7);
        });
        assertThat(r.resolve(SMT, set(4, 5, 6, 7, 0), 8, "cg", "f")).isEqualTo(masks);
        assertThat(masks.stream().distinct().count()).as("independent draws").isGreaterThan(1);
        assertThatThrownBy(() -> r.resolve(SMT, set(4), 1, "cg", "f")).hasMessageContaining("randomSubset needs 1..1");
    }

    @Test
    void impossibleIntentsAreRefusedBeforeBoot() {
        assertThatThrownBy(() -> AffinityIntent.smtSiblingPair().resolve(NO_SMT, Optional.empty(), 1, "cg", "f"))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("needs SMT");
        assertThatThrownBy(() -> AffinityIntent.smtSiblingPair().resolve(SMT, set(1, 2), 1, "cg", "f"))
                .hasMessageContaining("no core has two hyperthreads");
        assertThatThrownBy(() -> ScenarioValidator.validate(NO_SMT, List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(CgroupDef.named("cg").cpuset(CpusetSpec.cpus(0, 1)).affinity(CpusetSpec.cpus(1, 2)))))))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("outside the cgroup's cpuset 0-1")
                .hasMessageContaining("CPUs 2");
        ScenarioValidator.validate(NO_SMT, List.of(Step.of(HoldSpec.fraction(1), Op.addCgroup(CgroupDef.named("cg")
                .cpuset(CpusetSpec.cpus(0, 1)).affinity(AffinityIntent.crossCgroup())))));
        // mid-run: what the topology alone rules out is refused before boot too
        assertThatThrownBy(() -> ScenarioValidator.validate(NO_SMT, List.of(Step.of(HoldSpec.fraction(1),
                Op.addCgroup(CgroupDef.named("cg")), Op.setAffinity("cg", AffinityIntent.smtSiblingPair())))))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("ops[1].intent");
        assertThatThrownBy(() -> ScenarioValidator.validate(NO_SMT, List.of(Step.of(HoldSpec.fraction(1),
                Op.setAffinity("nope", AffinityIntent.singleCpu()))))).hasMessageContaining("unknown cgroup");
    }

    @Test
    void rangesAndOverlapsCutTheCpusByFraction() {
        assertThat(CpusetSpec.format(CpusetSpec.range(0.5, 1.0).resolve(SMT, "f"))).isEqualTo("4-7");
        assertThat(CpusetSpec.format(CpusetSpec.range(0.0, 0.3).resolve(SMT, "f"))).isEqualTo("0-1");
        assertThat(CpusetSpec.format(CpusetSpec.overlap(0, 2, 0.5).resolve(SMT, "f"))).isEqualTo("0-5");
        assertThat(CpusetSpec.format(CpusetSpec.overlap(1, 2, 0.5).resolve(SMT, "f"))).isEqualTo("2-7");
        assertThat(CpusetSpec.format(CpusetSpec.overlap(1, 4, 0.0).resolve(SMT, "f"))).isEqualTo("2-3");
        for (CpusetSpec bad : List.of(CpusetSpec.range(0.5, 0.5), CpusetSpec.range(-0.1, 0.5), CpusetSpec.range(0, 1.5),
                CpusetSpec.range(Double.NaN, 1), CpusetSpec.range(0.0, 0.1), CpusetSpec.overlap(2, 2, 0.1),
                CpusetSpec.overlap(0, 2, 1.5), CpusetSpec.overlap(0, 9, 0.1))) {
            assertThatThrownBy(() -> bad.resolve(SMT, "f")).as(bad.toString()).isInstanceOf(InvalidScenarioException.class);
        }
    }
}
