package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** defaults → scheduler preset → test, and which layer each threshold came from. No guest. */
class ThresholdLayersTest {
    @AfterEach
    void forget() {
        ThresholdPresets.unregister("my_sched");
        ThresholdPresets.unregister("scx_simple");
    }

    @Test
    void aLaterLayerWinsAndEachThresholdKnowsItsLayer() {
        // scx_qmap's preset sets the gap limit; the test sets the CV; the rest stays at the defaults
        ThresholdLayers l = ThresholdLayers.of(List.of("scx_qmap"), Assert.none().withThroughputCv(0.2));
        Assert e = l.effective();
        assertThat(e.maxGapMs()).isEqualTo(ThresholdPresets.builtIn().get("scx_qmap").maxGapMs());
        assertThat(l.sourceOf("maxGapMs")).isEqualTo("scheduler:scx_qmap");
        assertThat(e.throughputCv()).isEqualTo(0.2);
        assertThat(l.sourceOf("throughputCv")).isEqualTo("test");
        assertThat(e.maxImbalance()).isEqualTo(Assert.defaults().maxImbalance());
        assertThat(l.sourceOf("maxImbalance")).isEqualTo("defaults");
        assertThat(l.resolved().keySet()).containsExactlyElementsOf(Assert.fieldNames());
        // the test beats the preset for the same threshold, and the preset beats the defaults
        ThresholdLayers top = l.withTest(Assert.none().withMaxGapMs(50));
        assertThat(top.effective().maxGapMs()).isEqualTo(50);
        assertThat(top.sourceOf("maxGapMs")).isEqualTo("test");
        assertThat(ThresholdLayers.of(List.of("eevdf"), Assert.none()).effective().maxGapMs())
                .isLessThan(Assert.defaults().maxGapMs());
    }

    @Test
    void withoutAPresetTheDefaultsApply() {
        ThresholdLayers l = ThresholdLayers.of(List.of("scx_unknown"), Assert.none());
        assertThat(l.presets()).isEmpty();
        assertThat(l.effective()).isEqualTo(Assert.defaults());
        assertThat(l.resolved().values()).allSatisfy(s -> assertThat(s.layer()).isEqualTo("defaults"));
    }

    @Test
    void usersRegisterPresetsByName() {
        ThresholdPresets.register("my_sched", Assert.none().withMaxGapMs(42).withNoRqClockStall(false));
        ThresholdLayers l = ThresholdLayers.of(List.of("my_sched"), Assert.none());
        assertThat(l.effective().maxGapMs()).isEqualTo(42);
        assertThat(l.effective().noRqClockStall()).isFalse();
        assertThat(l.sourceOf("maxGapMs")).isEqualTo("scheduler:my_sched (registered)");
        // a registration replaces a built-in preset, and unregistering brings it back
        ThresholdPresets.register("scx_simple", Assert.none().withFairnessSpread(0.5));
        assertThat(ThresholdLayers.of(List.of("scx_simple"), Assert.none()).effective().maxGapMs())
                .isEqualTo(Assert.defaults().maxGapMs());
        ThresholdPresets.unregister("scx_simple");
        assertThat(ThresholdPresets.forScheduler("scx_simple")).get()
                .extracting(ThresholdPresets.Preset::origin).isEqualTo(ThresholdPresets.Origin.BUILT_IN);
        assertThatThrownBy(() -> ThresholdPresets.register("bad name", Assert.none()))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("preset.scheduler");
    }

    @Test
    void twoSchedulersInOneRunGetTheLooserOfTheirPresets() {
        ThresholdPresets.register("my_sched", Assert.none().withMaxGapMs(10_000).withMinWorkRate(50).withFairnessSpread(Double.NaN));
        ThresholdLayers l = ThresholdLayers.of(List.of("scx_simple", "my_sched"), Assert.none());
        assertThat(l.effective().maxGapMs()).isEqualTo(10_000); // an upper bound: the larger is looser
        assertThat(l.sourceOf("maxGapMs")).isEqualTo("scheduler:my_sched (registered)");
        assertThat(l.effective().fairnessSpread()).isNaN(); // off is loosest
        // minWorkRate is a lower bound: scx_simple sets none, so my_sched's is the only preset value
        assertThat(l.effective().minWorkRate()).isEqualTo(50);
        assertThat(l.effective().p99WakeLatencyUs()).isEqualTo(ThresholdPresets.builtIn().get("scx_simple").p99WakeLatencyUs());
        assertThat(ThresholdLayers.looser("minWorkRate", 1.0, 50.0)).isTrue();
        assertThat(ThresholdLayers.looser("maxGapMs", 1.0, 50.0)).isFalse();
        assertThat(ThresholdLayers.looser("notStuck", false, true)).isTrue();
    }

    @Test
    void vmAndContextLayersAreTheTestLayer() {
        Vm vm = Vm.builder().thresholds(Assert.none().withMaxGapMs(7)).thresholds(Assert.none().withThroughputCv(0.3)).build();
        assertThat(vm.thresholds()).isEqualTo(Assert.none().withMaxGapMs(7).withThroughputCv(0.3));
    }

    @Test
    void theResultFileRecordsEachThresholdsLayer(@TempDir Path dir) throws Exception {
        ThresholdLayers l = ThresholdLayers.of(List.of("scx_qmap"), Assert.none().withThroughputCv(0.2));
        Verdict v = l.effective().verdict();
        RunResult r = new RunResult("steady", Instant.EPOCH, Duration.ofSeconds(3), Duration.ofSeconds(3), "6.12", "bzImage",
                new dev.jktstr.machine.Topology(1, 1, 2, 1), "qemu", "scx_qmap", "enabled", Optional.empty(), List.of(), v, null,
                List.of("scx_qmap"), List.of(), l);
        String json = Files.readString(r.write(dir.resolve("r.json")));
        assertThat(json).contains("\"layers\" : [ \"defaults\", \"scheduler:scx_qmap\", \"test\" ]")
                .containsPattern("\"maxGapMs\" : \\{\\s*\"value\" : 3000.0,\\s*\"layer\" : \"scheduler:scx_qmap\"")
                .containsPattern("\"throughputCv\" : \\{\\s*\"value\" : 0.2,\\s*\"layer\" : \"test\"")
                .containsPattern("\"maxUserDsqDepth\" : \\{\\s*\"value\" : null,\\s*\"layer\" : \"defaults\"")
                .contains("\"ran\" : [ \"scx_qmap\" ]");
    }
}
