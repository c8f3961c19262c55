package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.scenario.RegisteredMetric.Gate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetricRegistryTest {

    /** The registry's oracle is the writer itself: every metric a result file holds is registered, and no other. */
    @Test
    void everyMetricInResultFilesIsRegisteredOnce() {
        CgroupStats c = VerdictTest.cgroup("cg_0", Optional.empty(), VerdictTest.worker(1000, 900, 20, List.of(0)));
        List<String> written = List.copyOf(ResultJson.metrics(c).keySet());
        List<String> registered = MetricRegistry.all().stream().map(RegisteredMetric::name).toList();
        assertThat(registered).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(written);
        assertThat(MetricRegistry.all()).allSatisfy(m -> {
            assertThat(m.unit()).isNotBlank();
            assertThat(m.description()).isNotBlank();
        });
    }

    @Test
    void resultKeysNameTheirMetricAfterTheLastDot() {
        assertThat(MetricRegistry.forKey("steady/cg_0.maxGapMs")).map(RegisteredMetric::unit).contains("ms");
        assertThat(MetricRegistry.forKey("steady/web.v2.p99WakeLatencyUs")).map(RegisteredMetric::kind)
                .contains(RegisteredMetric.Kind.LATENCY_PERCENTILE);
        assertThat(MetricRegistry.forKey("steady/cg_0.noSuchMetric")).isEmpty();
    }

    @Test
    void aGateTripsOnlyWhenTheChangePassesBothLimits() {
        Gate g = new Gate(0.25, 5);
        assertThat(g.trips(100, 130)).as("30%% and 30 ms").isTrue();
        assertThat(g.trips(100, 70)).as("either direction").isTrue();
        assertThat(g.trips(100, 110)).as("10 ms but only 10%%").isFalse();
        assertThat(g.trips(2, 6)).as("200%% but only 4 ms").isFalse();
        assertThat(g.trips(0, 5)).as("from zero: any relative change").isTrue();
        assertThat(g.trips(7, 7)).isFalse();
        RegisteredMetric gap = MetricRegistry.byName("maxGapMs").orElseThrow();
        assertThat(gap.worse(5, 50)).isTrue();
        assertThat(MetricRegistry.byName("totalWorkUnits").orElseThrow().worse(1000, 500)).isTrue();
        assertThat(MetricRegistry.byName("workers").orElseThrow().worse(4, 1)).isFalse();
    }
}
