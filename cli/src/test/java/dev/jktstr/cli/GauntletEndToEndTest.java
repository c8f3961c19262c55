package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.scenario.gauntlet.GauntletEntry;
import dev.jktstr.scenario.gauntlet.GauntletIndex;
import dev.jktstr.scenario.gauntlet.GauntletOutcome;
import dev.jktstr.scenario.gauntlet.RunKey;
import dev.jktstr.scenario.ResultJson;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny real matrix under QEMU TCG: 2 presets × steady × EEVDF (2 s runs, 256 MiB per VM), run whole and as shards
 * 1/2 and 2/2 in turn; the shards merged equal the whole run's index (combinations and outcomes), and every result
 * file the index names is a jktstr result.
 */
@BootsVm
class GauntletEndToEndTest {

    static Map<RunKey, GauntletOutcome> outcomes(GauntletIndex index) {
        Map<RunKey, GauntletOutcome> m = new TreeMap<>();
        index.runs().forEach(e -> m.put(e.key(), e.outcome()));
        return m;
    }

    static Run gauntlet(Path kernel, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("gauntlet", "--kernel", kernel.toString(), "--presets",
                "tiny-1llc,tiny-2llc", "--scenarios", "steady,steady-per-llc", "--duration", "2s", "--memory", "256",
                "--backend", "qemu:tcg", "-o", out.toString()));
        args.addAll(List.of(extra));
        Run r = RunCommandTest.jktstr(args.toArray(String[]::new));
        System.out.println(r.err() + r.out());
        return r;
    }

    @Test
    void aShardedMatrixMergedEqualsTheWholeOne(@TempDir Path tmp) {
        Path kernel = SharedAssets.requireKernelDir();
        SharedAssets.requireBzImage();
        HostProgram.require("qemu-system-x86_64", "apt-get install qemu-system-x86");
        Run whole = gauntlet(kernel, tmp.resolve("whole"));
        assertThat(whole.exit()).as(whole.err()).isZero();
        GauntletIndex index = GauntletIndex.read(tmp.resolve("whole"));
        // 4 combinations: steady-per-llc needs 2 LLCs, so tiny-1llc is a SKIP with the reason; 3 boot
        assertThat(index.runs()).hasSize(4);
        assertThat(index.runs()).filteredOn(e -> e.outcome() == GauntletOutcome.SKIP).singleElement()
                .satisfies(e -> assertThat(e.reason()).contains("needs >= 2 LLCs, has 1"));
        for (GauntletEntry e : index.runs()) {
            if (e.outcome() != GauntletOutcome.SKIP) {
                assertThat(e.outcome()).as(e.key() + ": " + e.reason()).isEqualTo(GauntletOutcome.PASS);
                assertThat(ResultJson.readMetrics(tmp.resolve("whole").resolve(e.result()))).isNotEmpty();
                assertThat(e.wallMs()).isPositive();
            }
        }
        assertThat(whole.out()).contains("steady / eevdf").contains("4 runs: ").contains("index: ");
        assertThat(whole.err()).contains("gauntlet: 4 combinations; 3 to run, 1 skipped").contains("budget: ");
        Run one = gauntlet(kernel, tmp.resolve("s1"), "--shard", "1/2");
        Run two = gauntlet(kernel, tmp.resolve("s2"), "--shard", "2/2");
        assertThat(one.exit()).as(one.err()).isIn(0, 4);
        assertThat(two.exit()).as(two.err()).isIn(0, 4);
        Run merge = RunCommandTest.jktstr("stats", "merge", tmp.resolve("s1").toString(), tmp.resolve("s2").toString(),
                "-o", tmp.resolve("merged").toString());
        assertThat(merge.exit()).as(merge.err()).isZero();
        GauntletIndex merged = GauntletIndex.read(tmp.resolve("merged"));
        assertThat(outcomes(merged)).isEqualTo(outcomes(index));
        merged.runs().stream().filter(e -> e.result() != null)
                .forEach(e -> assertThat(tmp.resolve("merged").resolve(e.result())).isRegularFile());
    }
}
