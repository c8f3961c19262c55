package dev.jktstr.scenario.gauntlet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Splits a matrix into shards balanced by expected cost: greedy longest-processing-time first (costliest first into
 * the bin with the least so far), ties broken by the {@link RunKey} order and then the lowest bin. The input's order
 * plays no part (it is sorted first), so every machine computes the same split from the same flags, in any order.
 */
public final class ShardPlanner {
    private ShardPlanner() {
    }

    /** Bin {@code i} (0-based) of {@code count}: the items of each shard, in key order. */
    public static <T> List<List<T>> split(List<T> items, int count, java.util.function.Function<T, RunKey> key,
            ToLongFunction<T> cost) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        List<T> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingLong(cost).reversed().thenComparing(key));
        List<List<T>> bins = new ArrayList<>();
        long[] load = new long[count];
        for (int i = 0; i < count; i++) {
            bins.add(new ArrayList<>());
        }
        for (T item : sorted) {
            int best = 0;
            for (int b = 1; b < count; b++) {
                if (load[b] < load[best]) {
                    best = b;
                }
            }
            bins.get(best).add(item);
            load[best] += cost.applyAsLong(item);
        }
        for (List<T> bin : bins) {
            bin.sort(Comparator.comparing(key));
        }
        return bins;
    }

    /** The items of {@code shard}. */
    public static <T> List<T> select(List<T> items, Shard shard, java.util.function.Function<T, RunKey> key,
            ToLongFunction<T> cost) {
        return split(items, shard.count(), key, cost).get(shard.index() - 1);
    }
}
