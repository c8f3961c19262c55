package dev.jktstr.scenario.gauntlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.Topology;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.TopologyRequirements;
import dev.jktstr.scenario.TopologyRequirements.Smt;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Constraints, the host's memory and bad input decide what a gauntlet plans; nothing boots. */
class GauntletPlanTest {
    static final HostResources BIG_HOST = new HostResources(2, 64 * 1024);

    @Test
    void requirementsSayWhyATopologyDoesNotFit() {
        TopologyRequirements r = TopologyRequirements.any().minLlcs(2).maxCpus(8).smt(Smt.FORBIDDEN);
        assertThat(r.mismatch(Topology.preset("tiny-2llc"))).isEmpty();
        assertThat(r.mismatch(Topology.preset("tiny-1llc"))).contains("needs >= 2 LLCs, has 1");
        assertThat(r.mismatch(Topology.preset("smt-2llc"))).contains("needs no SMT, has 2 threads per core");
        assertThat(r.mismatch(Topology.preset("odd-3llc"))).contains("needs <= 8 CPUs, has 9");
        assertThat(TopologyRequirements.any().smt(Smt.REQUIRED).mismatch(Topology.preset("tiny-1llc")))
                .contains("needs SMT, has 1 thread per core");
        assertThat(TopologyRequirements.any().minNodes(2).mismatch(Topology.preset("numa2-4llc"))).isEmpty();
        assertThat(TopologyRequirements.any().minNodes(2).mismatch(Topology.preset("odd-5llc")))
                .contains("needs >= 2 NUMA nodes, has 1");
        assertThatThrownBy(() -> TopologyRequirements.any().minCpus(4).maxCpus(2))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("requirements.cpus");
        // canned scenarios carry theirs
        assertThat(Scenarios.steadyPerLlc().requirements().minLlcs()).isEqualTo(2);
        assertThat(Scenarios.cpusetApply().requirements().fits(new Topology(1, 1, 1, 1))).isFalse();
        assertThat(Scenarios.steady().requirements()).isEqualTo(TopologyRequirements.any());
    }

    @Test
    void combinationsThatDoNotFitAreSkippedWithTheReason(@TempDir Path dir) {
        Gauntlet g = Gauntlet.builder().scenarios("steady", "steady-per-llc").presets("tiny-1llc", "tiny-2llc")
                .topology(new Topology(1, 1, 1, 1)).kernel("6.12-test", Path.of("/nonexistent"))
                .duration(Duration.ofSeconds(1)).host(BIG_HOST).resultsDir(dir).runner(new FakeRunner(0, 99)).build();
        GauntletPlan plan = g.plan();
        assertThat(plan.matrixSize()).isEqualTo(6);
        Map<String, String> skipped = plan.skipped().stream()
                .collect(Collectors.toMap(e -> e.key().scenario() + "@" + e.key().preset(), GauntletEntry::reason));
        assertThat(skipped).containsOnlyKeys("steady-per-llc@tiny-1llc", "steady-per-llc@1,1,1,1");
        assertThat(skipped.get("steady-per-llc@tiny-1llc")).contains("needs >= 2 LLCs, has 1");
        assertThat(plan.toRun()).extracting(c -> c.key().scenario() + "@" + c.key().preset())
                .containsExactlyInAnyOrder("steady@tiny-1llc", "steady@tiny-2llc", "steady@1,1,1,1",
                        "steady-per-llc@tiny-2llc");
        assertThat(String.join("\n", plan.describe())).contains("6 combinations").contains("4 to run, 2 skipped")
                .contains("queued  steady / eevdf / tiny-2llc / 6.12-test  (4 vCPUs, 2048 MiB)").contains("budget: ");
        // SKIPs go into the index without a result
        GauntletResult r = g.run();
        assertThat(r.index().runs()).hasSize(6);
        assertThat(r.index().runs()).filteredOn(e -> e.outcome() == GauntletOutcome.SKIP)
                .allSatisfy(e -> assertThat(e.result()).isNull());
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void aPresetLargerThanTheHostSaysHowMuchMemoryItNeeds(@TempDir Path dir) {
        GauntletPlan plan = Gauntlet.builder().scenarios("steady").presets("tiny-1llc", "max-cpu")
                .kernel("k", Path.of("/nonexistent")).host(new HostResources(2, 4000)).resultsDir(dir)
                .runner(new FakeRunner(0, 99)).build().plan();
        assertThat(plan.skipped()).singleElement().satisfies(e -> {
            assertThat(e.key().preset()).isEqualTo("max-cpu");
            assertThat(e.reason()).contains("needs 4096 MiB of memory, the host can give 2976 MiB");
        });
    }

    @Test
    void badInputIsRefusedNamingWhatIsValid(@TempDir Path dir) {
        assertThatThrownBy(() -> Gauntlet.builder().presets("tiny-9llc"))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("--presets")
                .hasMessageContaining("no preset named 'tiny-9llc'").hasMessageContaining("odd-3llc");
        assertThatThrownBy(() -> Gauntlet.builder().scenarios("nosuch"))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("steady").hasMessageContaining("mixed");
        assertThatThrownBy(() -> Shard.parse("3/2")).isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("--shard").hasMessageContaining("shard 3/2 does not exist");
        assertThatThrownBy(() -> Shard.parse("0/2")).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Shard.parse("1/0")).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Shard.parse("a/b")).hasMessageContaining("not of the form i/n");
        assertThatThrownBy(() -> Shard.parse("1/2/3")).hasMessageContaining("not of the form i/n");
        assertThat(Shard.parse(" 2 / 4 ")).isEqualTo(new Shard(2, 4));
        assertThatThrownBy(() -> Gauntlet.builder().scenarios("steady").presets("tiny-1llc", "tiny-1llc")
                .kernel("k", Path.of("/x")).host(BIG_HOST).resultsDir(dir).build().plan())
                .hasMessageContaining("appears twice");
        assertThatThrownBy(() -> Gauntlet.builder().presets("tiny-1llc").kernel("k", Path.of("/x")).resultsDir(dir).build())
                .hasMessageContaining("--scenarios").hasMessageContaining("steady");
    }

    @Test
    void hostMemoryComesFromMemAvailableLessAMargin(@TempDir Path dir) throws Exception {
        Path meminfo = java.nio.file.Files.writeString(dir.resolve("meminfo"),
                "MemTotal:       24684084 kB\nMemFree: 1 kB\nMemAvailable:   22449532 kB\n");
        assertThat(HostResources.memAvailableMib(meminfo)).isEqualTo(21923);
        assertThat(HostResources.memAvailableMib(dir.resolve("none"))).isEqualTo(2048);
        HostResources h = new HostResources(2, 21923);
        assertThat(h.usableMemoryMib()).isEqualTo(21923 - 2192);
        Budget b = Budget.forHost(h, 9);
        assertThat(b.vcpus()).isEqualTo(9);
        assertThat(b.floorVms()).isEqualTo(2);
        assertThat(b.toString()).contains("max of 2 host cores and the largest VM's 9 vCPUs");
        GauntletPlan one = Gauntlet.builder().scenarios("steady").presets("odd-3llc").kernel("k", Path.of("/x"))
                .host(h).maxVms(1).resultsDir(dir).runner(new FakeRunner(0, 99)).build().plan();
        assertThat(one.budget().maxVms()).isEqualTo(1);
        assertThat(one.budget().toString()).startsWith("9 vCPUs, 19731 MiB, 1 VMs at once (given: at most 1 VMs at once;");
        GauntletPlan given = Gauntlet.builder().scenarios("steady").presets("odd-3llc").kernel("k", Path.of("/x"))
                .host(h).vcpuBudget(4).memoryBudget(8000).resultsDir(dir).runner(new FakeRunner(0, 99)).build().plan();
        assertThat(given.budget()).extracting(Budget::vcpus, Budget::memoryMib, Budget::floorVms).containsExactly(4, 8000L, 1);
    }
}
