package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.machine.Topology;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.gauntlet.Budget;
import dev.jktstr.scenario.gauntlet.Combination;
import dev.jktstr.scenario.gauntlet.GauntletEntry;
import dev.jktstr.scenario.gauntlet.GauntletPlan;
import dev.jktstr.scenario.gauntlet.HostResources;
import dev.jktstr.scenario.gauntlet.GauntletIndex;
import dev.jktstr.scenario.gauntlet.GauntletOutcome;
import dev.jktstr.scenario.gauntlet.RunKey;
import dev.jktstr.scenario.gauntlet.Shard;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jktstr gauntlet} and {@code jktstr stats merge} without a guest: bad input, the summary, the progress line. */
class GauntletCommandTest {

    static Run jktstr(String... args) {
        return RunCommandTest.jktstr(args);
    }

    @Test
    void badInputExitsWithTwoAndSaysWhatIsValid() {
        Run preset = jktstr("gauntlet", "--presets", "tiny-1llc,tiny-9llc", "--kernel", "/nonexistent");
        assertThat(preset.exit()).isEqualTo(2);
        assertThat(preset.err()).contains("--presets").contains("no preset named 'tiny-9llc'").contains("odd-3llc")
                .contains("numa4-12llc");
        Run scenario = jktstr("gauntlet", "--presets", "tiny-1llc", "--scenarios", "steady,nosuch");
        assertThat(scenario.exit()).isEqualTo(2);
        assertThat(scenario.err()).contains("no scenario named 'nosuch'").contains("cpuset-flip").contains("mixed");
        for (String bad : List.of("3/2", "0/2", "1/0", "x", "1/2/3", "-1/2")) {
            Run shard = jktstr("gauntlet", "--presets", "tiny-1llc", "--shard", bad);
            assertThat(shard.exit()).as(bad).isEqualTo(2);
            assertThat(shard.err()).as(bad).contains("--shard");
        }
        assertThat(jktstr("gauntlet", "--presets", "tiny-1llc", "--shard", "3/2").err())
                .contains("shard 3/2 does not exist: the index runs from 1 to 2");
        Run duration = jktstr("gauntlet", "--presets", "tiny-1llc", "--duration", "soon");
        assertThat(duration.exit()).isEqualTo(2);
        assertThat(duration.err()).contains("--duration");
        Run scheduler = jktstr("gauntlet", "--presets", "tiny-1llc", "--scheduler", "/nonexistent/scx_x");
        assertThat(scheduler.exit()).isEqualTo(2);
        assertThat(scheduler.err()).contains("no scheduler binary at /nonexistent/scx_x");
        Run kernel = jktstr("gauntlet", "--presets", "tiny-1llc", "--kernel", "/nonexistent/kernel");
        assertThat(kernel.exit()).isEqualTo(2);
        assertThat(kernel.err()).contains("--kernel");
        Run nothing = jktstr("gauntlet", "--kernel", "/nonexistent");
        assertThat(nothing.exit()).isEqualTo(2);
    }

    @Test
    void mergeNamesACorruptIndexAndGoesOn(@TempDir Path tmp) throws Exception {
        Path good = tmp.resolve("good"), bad = tmp.resolve("bad");
        new GauntletIndex("t", Instant.now(), Optional.of(new Shard(1, 2)), List.of(
                GauntletEntry.skip(new RunKey("steady-per-llc", "eevdf", "tiny-1llc", "6.12.0"), "needs >= 2 LLCs"))).write(good);
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("index.json"), "not json \u001b]0;owned\u0007");
        Path out = tmp.resolve("out");
        Run r = jktstr("stats", "merge", good.toString(), bad.toString(), "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("skipped " + bad).doesNotContain("\u001b").doesNotContain("\u0007");
        assertThat(r.out()).contains("merged 1 runs from 1 of 2 directories, 1 problem(s) above")
                .contains("index: " + out.resolve("index.json").toAbsolutePath());
        assertThat(GauntletIndex.read(out).runs()).hasSize(1);
        Run none = jktstr("stats", "merge", bad.toString(), "-o", tmp.resolve("none").toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("no gauntlet index could be read");
    }

    @Test
    void theSummaryIsAGridOfOutcomesWithTheReasons() {
        GauntletIndex index = new GauntletIndex("t", Instant.now(), Optional.empty(), List.of(
                new GauntletEntry(new RunKey("steady", "scx_simple", "tiny-1llc", "6.12.0"), GauntletOutcome.PASS, null, "a", 1),
                new GauntletEntry(new RunKey("steady", "scx_simple", "odd-3llc", "6.12.0"), GauntletOutcome.FAIL,
                        "1 claim(s) failed: cg_0.maxGapMs", "b", 1),
                GauntletEntry.skip(new RunKey("steady-per-llc", "scx_simple", "tiny-1llc", "6.12.0"), "needs >= 2 LLCs")));
        String t = GauntletSummary.table(index);
        assertThat(t.lines().findFirst().orElseThrow()).contains("scenario / scheduler").contains("odd-3llc")
                .contains("tiny-1llc");
        assertThat(t).contains("steady / scx_simple          FAIL          PASS")
                .contains("steady-per-llc / scx_simple  -             SKIP")
                .contains("FAIL steady / scx_simple / odd-3llc / 6.12.0: 1 claim(s) failed")
                .contains("3 runs: PASS 1 FAIL 1 SKIP 1");
    }

    @Test
    void progressShowsTheWholeMatrixAndAnEtaFromTheAverage() {
        StringWriter sw = new StringWriter();
        PrintWriter w = new PrintWriter(sw);
        AtomicLong now = new AtomicLong();
        GauntletProgress p = new GauntletProgress(w, new ProgressLine(w, false, now::get), now::get, false);
        // a plan by hand: no kernel needed
        List<Combination> runs = java.util.stream.Stream.of("odd-3llc", "smt-2llc", "tiny-1llc", "tiny-2llc")
                .map(n -> new Combination(new RunKey("steady", "eevdf", n, "6.12.0"), Scenarios.steady(),
                        Topology.preset(n), 256, Scheduler.eevdf(), Optional.empty(), Duration.ofSeconds(3)))
                .toList();
        GauntletPlan plan = new GauntletPlan(runs, List.of(), Budget.forHost(new HostResources(2, 64_000), 9),
                Optional.empty(), 4);
        p.planned(plan);
        assertThat(p.format()).isEqualTo("gauntlet 0/4 done, 0 running, 4 queued | 0s elapsed, ETA ?");
        p.started(plan.toRun().get(0));
        p.started(plan.toRun().get(1));
        now.set(20_000_000_000L);
        p.finished(new GauntletEntry(plan.toRun().get(0).key(), GauntletOutcome.PASS, null, "x", 20_000));
        assertThat(p.format()).isEqualTo("gauntlet 1/4 done, 1 running, 2 queued | PASS 1 | 20s elapsed, ETA 1m00s");
        p.close();
        assertThat(sw.toString()).contains("budget: ").contains("started  steady / eevdf / odd-3llc")
                .contains("finished steady / eevdf / odd-3llc").doesNotContain("\r");
    }
}
