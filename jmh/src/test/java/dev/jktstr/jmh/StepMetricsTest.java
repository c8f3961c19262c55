package dev.jktstr.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.scenario.CgroupStats;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The reductions checked against numbers worked out by hand. */
class StepMetricsTest {

    private static WorkerTelemetry worker(long units, long wallMs, long runDelayMs, long migrations, long wakes,
            long p50Us, long p99Us) {
        return new WorkerTelemetry(1, true, units, 10, wallMs * 500_000, wallMs * 1_000_000, runDelayMs * 1_000_000,
                5, migrations, List.of(0), 0, 0, 0, wakes, p50Us * 1000, p99Us * 1000, p99Us * 2000, 0, 0);
    }

    @Test
    void sumsRatesAndTakesWorstP99AndMedianP50() {
        CgroupStats spin = new CgroupStats("spin", "SpinWait", false, Optional.empty(),
                List.of(worker(1000, 2000, 500, 4, 0, 0, 0), worker(3000, 2000, 1000, 6, 0, 0, 0)));
        CgroupStats pp = new CgroupStats("pp", "FutexPingPong", true, Optional.empty(),
                List.of(worker(200, 2000, 0, 0, 10, 30, 90), worker(200, 2000, 0, 2, 10, 50, 400),
                        worker(200, 2000, 0, 0, 10, 40, 100)));
        StepMetrics m = StepMetrics.of(List.of(spin, pp));
        assertThat(m.workUnitsPerSec()).isCloseTo(500 + 1500 + 100 * 3, within(1e-9));
        assertThat(m.wakeP50Us()).isCloseTo(40, within(1e-9));
        assertThat(m.wakeP99Us()).isCloseTo(400, within(1e-9));
        assertThat(m.migrationsPerSec()).isCloseTo(12 / 2.0, within(1e-9));
        // spin: (0.25 + 0.5) / 2 = 0.375; pp: 0 → mean over cgroups 0.1875
        assertThat(m.runDelayPct()).isCloseTo(18.75, within(1e-9));
    }

    @Test
    void noWakeSamplesIsNaNNotZero() {
        CgroupStats spin = new CgroupStats("spin", "SpinWait", false, Optional.empty(),
                List.of(worker(1000, 1000, 0, 0, 0, 0, 0)));
        StepMetrics m = StepMetrics.of(List.of(spin));
        assertThat(m.wakeP50Us()).isNaN();
        assertThat(m.wakeP99Us()).isNaN();
        assertThat(StepMetrics.of(List.of()).workUnitsPerSec()).isZero();
    }

    @Test
    void auxCountersAreTheMeanOfTheIterationsSteps() {
        GuestMetrics g = new GuestMetrics();
        g.clear();
        g.record(new StepMetrics(100, 10, 20, 1, 5));
        g.record(new StepMetrics(300, 30, 40, 3, 15));
        assertThat(g.workUnitsPerSec).isEqualTo(200);
        assertThat(g.wakeP99Us).isEqualTo(30);
        g.clear();
        assertThat(g.workUnitsPerSec).isZero();
    }
}
