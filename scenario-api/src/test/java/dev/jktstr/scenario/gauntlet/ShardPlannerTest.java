package dev.jktstr.scenario.gauntlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardPlannerTest {
    record Item(RunKey key, long cost) {
    }

    static List<Item> matrix() {
        List<Item> items = new ArrayList<>();
        int[] cpus = {4, 4, 9, 15, 14, 8, 12, 32, 16, 32};
        String[] presets = {"tiny-1llc", "tiny-2llc", "odd-3llc", "odd-5llc", "odd-7llc", "smt-2llc", "smt-3llc",
                "medium-4llc", "numa2-4llc", "numa4-8llc"};
        for (String s : List.of("steady", "mixed", "pinned")) {
            for (String sch : List.of("eevdf", "scx_simple")) {
                for (int p = 0; p < presets.length; p++) {
                    items.add(new Item(new RunKey(s, sch, presets[p], "6.12.0"), cpus[p] * 8000L));
                }
            }
        }
        return items;
    }

    static List<List<Item>> split(List<Item> items, int n) {
        return ShardPlanner.split(items, n, Item::key, Item::cost);
    }

    @Test
    void everyCombinationIsInExactlyOneShard() {
        List<Item> all = matrix();
        for (int n = 1; n <= 7; n++) {
            List<RunKey> seen = new ArrayList<>();
            split(all, n).forEach(bin -> bin.forEach(i -> seen.add(i.key())));
            assertThat(seen).hasSize(all.size());
            assertThat(new HashSet<>(seen)).hasSize(all.size());
        }
        // more shards than combinations: the extra shards are empty, nothing is lost
        assertThat(split(all.subList(0, 3), 5).stream().mapToInt(List::size).sum()).isEqualTo(3);
    }

    @Test
    void theSplitDoesNotDependOnTheInputOrder() {
        List<Item> all = matrix();
        List<List<Item>> reference = split(all, 4);
        Random random = new Random(17);
        for (int round = 0; round < 20; round++) {
            List<Item> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, random);
            assertThat(split(shuffled, 4)).isEqualTo(reference);
        }
    }

    @Test
    void shardsAreBalancedByCost() {
        List<Item> all = matrix();
        long largest = all.stream().mapToLong(Item::cost).max().orElseThrow();
        for (int n = 2; n <= 6; n++) {
            long[] loads = split(all, n).stream().mapToLong(b -> b.stream().mapToLong(Item::cost).sum()).toArray();
            long max = java.util.Arrays.stream(loads).max().orElseThrow();
            long min = java.util.Arrays.stream(loads).min().orElseThrow();
            // greedy LPT: no bin exceeds another by more than the largest item
            assertThat(max - min).as("loads %s", java.util.Arrays.toString(loads)).isLessThanOrEqualTo(largest);
        }
    }

    @Test
    void theGauntletsShardsCoverItsMatrix() {
        Set<RunKey> union = new HashSet<>();
        int total = 0;
        for (int i = 1; i <= 3; i++) {
            GauntletPlan p = Gauntlet.builder().scenarios("steady", "mixed", "steady-per-llc")
                    .presets("tiny-1llc", "tiny-2llc", "odd-3llc", "smt-2llc").kernel("k", java.nio.file.Path.of("/x"))
                    .host(GauntletPlanTest.BIG_HOST).resultsDir(java.nio.file.Path.of("/nonexistent"))
                    .shard(new Shard(i, 3)).build().plan();
            p.toRun().forEach(c -> union.add(c.key()));
            p.skipped().forEach(e -> union.add(e.key()));
            total += p.toRun().size() + p.skipped().size();
            assertThat(p.matrixSize()).isEqualTo(12);
        }
        assertThat(total).isEqualTo(12);
        assertThat(union).hasSize(12);
    }
}
