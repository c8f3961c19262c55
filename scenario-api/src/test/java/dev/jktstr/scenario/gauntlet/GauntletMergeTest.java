package dev.jktstr.scenario.gauntlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.scenario.ScenarioException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded runs merged equal the unsharded one; corrupt files are named and skipped. */
class GauntletMergeTest {

    static GauntletResult run(Path dir, Shard shard) {
        return Gauntlet.builder().scenarios("steady", "mixed", "steady-per-llc")
                .presets("tiny-1llc", "tiny-2llc", "odd-3llc", "smt-2llc").kernel("6.12.0", Path.of("/x"))
                .duration(Duration.ofSeconds(3)).host(GauntletPlanTest.BIG_HOST).shard(shard).resultsDir(dir)
                .runner(new FakeRunner(1, 99)).build().run();
    }

    static Map<RunKey, GauntletOutcome> outcomes(GauntletIndex index) {
        Map<RunKey, GauntletOutcome> m = new TreeMap<>();
        index.runs().forEach(e -> m.put(e.key(), e.outcome()));
        return m;
    }

    @Test
    void shardsMergedEqualTheUnshardedIndex(@TempDir Path tmp) throws Exception {
        GauntletResult whole = run(tmp.resolve("whole"), null);
        // the oracle: outcomes from the key alone, SKIP from the constraints
        assertThat(whole.index().runs()).hasSize(12).allSatisfy(e -> assertThat(e.outcome()).isEqualTo(
                e.key().scenario().equals("steady-per-llc") && e.key().preset().equals("tiny-1llc")
                        ? GauntletOutcome.SKIP : FakeRunner.expected(e.key())));
        assertThat(whole.exitCode()).isEqualTo(1);
        List<Path> shards = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Path d = tmp.resolve("shard" + i);
            GauntletResult r = run(d, new Shard(i, 3));
            assertThat(r.index().shard()).contains(new Shard(i, 3));
            shards.add(d);
        }
        List<String> warnings = new ArrayList<>();
        GauntletMerge.Merged m = GauntletMerge.merge(shards, tmp.resolve("merged"), warnings::add);
        assertThat(warnings).isEmpty();
        assertThat(m.merged()).isEqualTo(3);
        GauntletIndex merged = GauntletIndex.read(tmp.resolve("merged"));
        assertThat(outcomes(merged)).isEqualTo(outcomes(whole.index()));
        assertThat(merged.shard()).isEmpty();
        // every result the merged index names is there, relative to it
        merged.runs().stream().filter(e -> e.result() != null)
                .forEach(e -> assertThat(tmp.resolve("merged").resolve(e.result())).isRegularFile());
        // the index's runs are sorted by (scenario, scheduler, preset, kernel)
        assertThat(merged.runs()).extracting(GauntletEntry::key).isSorted();
    }

    @Test
    void aCorruptResultOrIndexIsNamedAndSkippedNeverFatal(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
        run(a, new Shard(1, 2));
        GauntletResult rb = run(b, new Shard(2, 2));
        Files.createDirectories(c);
        Files.writeString(c.resolve("index.json"), "{\"kind\": \"jktstr-gauntlet-index\", \"version\": 1, \"runs\": [ {\u001b[2J");
        GauntletEntry victim = rb.index().runs().stream().filter(e -> e.result() != null).findFirst().orElseThrow();
        Files.writeString(b.resolve(victim.result()), "{\"version\": 1, \"scenario\": ");
        List<String> warnings = new ArrayList<>();
        GauntletMerge.Merged m = GauntletMerge.merge(List.of(a, b, c, tmp.resolve("missing")), tmp.resolve("out"),
                warnings::add);
        assertThat(m.merged()).isEqualTo(2);
        assertThat(warnings).hasSize(3);
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains(c.toString()).contains("not a gauntlet index"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains(tmp.resolve("missing").toString()));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains(b.resolve(victim.result()).toString()));
        assertThat(String.join("", warnings)).doesNotContain("\u001b");
        GauntletIndex merged = GauntletIndex.read(tmp.resolve("out"));
        assertThat(merged.runs()).hasSize(12);
        GauntletEntry kept = merged.runs().stream().filter(e -> e.key().equals(victim.key())).findFirst().orElseThrow();
        assertThat(kept.outcome()).isEqualTo(victim.outcome());
        assertThat(kept.result()).isNull();
        assertThat(kept.reason()).contains("result file unreadable");
    }

    @Test
    void indexFilesThatAreNotOursAreRefusedNamingTheFile(@TempDir Path tmp) throws Exception {
        Path other = Files.writeString(tmp.resolve("other.json"), "{\"kind\":\"x\",\"version\":1,\"runs\":[]}");
        assertThatThrownBy(() -> GauntletIndex.read(other)).isInstanceOf(ScenarioException.class)
                .hasMessageContaining(other.toString()).hasMessageContaining("kind x");
        Path escape = Files.writeString(tmp.resolve("escape.json"), "{\"kind\":\"jktstr-gauntlet-index\",\"version\":1,"
                + "\"runs\":[{\"scenario\":\"s\",\"scheduler\":\"e\",\"preset\":\"p\",\"kernel\":\"k\",\"outcome\":\"PASS\","
                + "\"result\":\"../../etc/passwd\"}]}");
        assertThatThrownBy(() -> GauntletIndex.read(escape)).hasMessageContaining("leaves the index's directory");
        Path badOutcome = Files.writeString(tmp.resolve("bad.json"), "{\"kind\":\"jktstr-gauntlet-index\",\"version\":1,"
                + "\"runs\":[{\"scenario\":\"s\",\"scheduler\":\"e\",\"preset\":\"p\",\"kernel\":\"k\",\"outcome\":\"MEH\"}]}");
        assertThatThrownBy(() -> GauntletIndex.read(badOutcome)).hasMessageContaining("not a gauntlet index");
        for (String bad : List.of("\"shard\":{\"index\":3,\"count\":2}", "\"created\":\"yesterday\"", "\"version\":\"one\"")) {
            Path f = Files.writeString(tmp.resolve("f.json"), "{\"kind\":\"jktstr-gauntlet-index\",\"version\":1," + bad
                    + ",\"runs\":[]}");
            assertThatThrownBy(() -> GauntletIndex.read(f)).as(bad).isInstanceOf(ScenarioException.class)
                    .hasMessageStartingWith(f.toString());
        }
    }

    @Test
    void theIndexRoundTripsItsContract(@TempDir Path tmp) throws Exception {
        GauntletIndex index = new GauntletIndex("0.1.0", java.time.Instant.parse("2026-12-02T12:00:00Z"),
                java.util.Optional.of(new Shard(1, 2)), List.of(
                        new GauntletEntry(new RunKey("steady", "scx_simple", "tiny-1llc", "6.12.0"), GauntletOutcome.PASS,
                                null, "runs/a.json", 1234),
                        GauntletEntry.skip(new RunKey("mixed", "eevdf", "odd-3llc", "6.12.0"), "needs x")));
        index.write(tmp);
        String text = Files.readString(tmp.resolve("index.json"));
        assertThat(text).contains("\"kind\" : \"jktstr-gauntlet-index\"").contains("\"version\" : 1")
                .contains("\"shard\" : {").contains("\"reason\" : null").contains("\"wallMs\" : 1234");
        assertThat(text.indexOf("\"mixed\"")).isLessThan(text.indexOf("\"steady\""));
        assertThat(GauntletIndex.read(tmp)).isEqualTo(index);
    }
}
