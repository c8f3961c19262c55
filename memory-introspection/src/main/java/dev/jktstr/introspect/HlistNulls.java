package dev.jktstr.introspect;

import java.util.HashSet;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Chains that end in a "nulls" marker (an odd pointer) or NULL, as include/linux/list_nulls.h defines them:
 * {@code hlist_nulls} lists, and rhashtable bucket chains, whose {@code rhash_head.next} follows the same rule.
 * A node's first word is its next pointer. One visited set and node limit span every chain walked through an
 * instance, so a chain looping back, or nodes shared between buckets, stop the walk instead of hanging it.
 */
final class HlistNulls {
    private final KernelView view;
    private final SnapshotBudget budget;
    private final String what;
    private final int maxNodes;
    private final Set<Long> seen = new HashSet<>();

    /** Chains charged to {@code budget} under {@code what}, at most {@code maxNodes} distinct nodes in all. */
    HlistNulls(KernelView view, SnapshotBudget budget, String what, int maxNodes) {
        this.view = view;
        this.budget = budget;
        this.what = what;
        this.maxNodes = maxNodes;
    }

    /**
     * Visits each node of the chain starting at node {@code first} (a nulls marker or 0: an empty chain).
     *
     * @return 0 at the chain's end, else the node where the walk stopped: seen before, or past the node limit
     */
    long walk(long first, LongConsumer visit) {
        long node = first;
        while (node != 0 && (node & 1) == 0) {
            if (!seen.add(node) || seen.size() > maxNodes) {
                return node;
            }
            budget.nodes(1, what);
            visit.accept(node);
            node = view.readLong(node);
        }
        return 0;
    }
}
