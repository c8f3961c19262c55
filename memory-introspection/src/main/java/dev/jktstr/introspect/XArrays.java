package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * XArrays (and radix trees, which are XArrays since 4.20), as drgn's {@code xa_for_each}: an entry whose low
 * two bits are {@code 10} and which is at least 4096 is an internal node of 64 slots; smaller ones (sibling,
 * retry, zero entries) are skipped; entries with low bits {@code 00} are the stored pointers. Bounded by depth,
 * a visited set, the number of distinct entries and the snapshot's node budget (64 per node).
 */
final class XArrays {
    static final int MAX_DEPTH = 12;
    static final int MAX_NODES = 100_000;
    private static final int SLOTS = 64;

    private XArrays() {
    }

    /**
     * The pointers stored in the xarray whose {@code xa_head} is {@code head}, in index order, repeats included.
     *
     * @param name what the xarray is, for errors and the budget (e.g. {@code map_idr})
     * @param maxEntries the most distinct pointers accepted; {@code noun} names them in the error (e.g. "maps")
     */
    static List<Long> entries(KernelView view, SnapshotBudget budget, String name, long head, int maxEntries,
            String noun) {
        List<Long> out = new ArrayList<>();
        new Walk(view, budget, name, maxEntries, noun, out).entry(head, 0);
        return out;
    }

    private static final class Walk {
        private final KernelView view;
        private final SnapshotBudget budget;
        private final String name;
        private final int maxEntries;
        private final String noun;
        private final List<Long> out;
        private final Set<Long> unique = new HashSet<>();
        private final Set<Long> seen = new HashSet<>();

        Walk(KernelView view, SnapshotBudget budget, String name, int maxEntries, String noun, List<Long> out) {
            this.view = view;
            this.budget = budget;
            this.name = name;
            this.maxEntries = maxEntries;
            this.noun = noun;
            this.out = out;
        }

        void entry(long entry, int depth) {
            if (entry == 0) {
                return;
            }
            if ((entry & 3) == 2) {
                if (Long.compareUnsigned(entry, 4096) < 0) {
                    return; // sibling / retry / zero entries, not nodes
                }
                long node = entry - 2;
                if (depth > MAX_DEPTH || !seen.add(node) || seen.size() > MAX_NODES) {
                    throw new CorruptGuestDataException(name + " xarray is too deep or loops at 0x" + Long.toHexString(node));
                }
                budget.nodes(SLOTS, name);
                long slots = GuestObject.memberOffset(view, view.btf(), view.typeId("struct xa_node"), "slots");
                for (int i = 0; i < SLOTS; i++) {
                    entry(view.readLong(node + slots + 8L * i), depth + 1);
                    if (unique.size() > maxEntries || out.size() > SLOTS * maxEntries) {
                        throw new CorruptGuestDataException(name + " holds more than " + maxEntries + " " + noun);
                    }
                }
                return;
            }
            if ((entry & 3) == 0) {
                out.add(entry);
                unique.add(entry);
            }
        }
    }
}
