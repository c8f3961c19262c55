package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the host took from a run: steal from /proc/stat lines, held share from a recorded timeline. */
class HostInterferenceTest {

    @Test
    void stealIsTheStealColumnsShareOfAllHostTime(@TempDir Path dir) throws Exception {
        Path stat = dir.resolve("stat");
        Files.writeString(stat, "cpu  100 0 50 800 10 0 0 40 7 0\ncpu0 50 0 25 400 5 0 0 20 0 0\nintr 1\n");
        HostInterference.CpuTimes before = HostInterference.CpuTimes.read(stat);
        assertThat(before).isEqualTo(new HostInterference.CpuTimes(1000, 40));
        HostInterference.CpuTimes after = HostInterference.CpuTimes.parse("cpu  150 0 70 1500 10 0 0 140 9 0");
        assertThat(after.stealShareSince(before)).isCloseTo(100.0 / 870, within(1e-9));
        assertThat(after.stealShareSince(HostInterference.CpuTimes.NONE)).isNaN();
        assertThat(HostInterference.CpuTimes.read(dir.resolve("missing"))).isEqualTo(HostInterference.CpuTimes.NONE);
        assertThat(HostInterference.CpuTimes.parse("cpu 1 2")).isEqualTo(HostInterference.CpuTimes.NONE);
    }

    @Test
    void heldShareIsHeldOverWantedSummedOverTheVcpus() {
        long s = 1_000_000_000L;
        // vCPU 0 spun: ran 0.6 s, waited 0.4 s of 1 s; vCPU 1 was halted (wanted nothing)
        HostTimeline t = HostTimeline.of(new long[] {0, s}, new long[][] {{0, 6 * s / 10}, {0, 0}},
                new long[][] {{0, 4 * s / 10}, {0, 0}}, new boolean[2][2], 1);
        assertThat(t.heldShare(0, s)).isCloseTo(0.4, within(1e-9));
        HostTimeline idle = HostTimeline.of(new long[] {0, s}, new long[][] {{0, 0}, {0, 0}},
                new long[][] {{0, 0}, {0, 0}}, new boolean[2][2], 1);
        assertThat(idle.heldShare(0, s)).isZero();
        assertThat(new HostInterference(0.3, 0.1).total()).hasValueCloseTo(0.4, within(1e-9));
        assertThat(new HostInterference(Double.NaN, 0.1).total()).hasValueCloseTo(0.1, within(1e-9));
        assertThat(HostInterference.UNKNOWN.total()).isEmpty();
    }
}
