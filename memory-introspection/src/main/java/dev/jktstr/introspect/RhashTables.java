package dev.jktstr.introspect;

import java.util.function.Consumer;

/**
 * Resizable hash tables ({@code struct rhashtable}): a bucket table of {@code size} chains; each bucket pointer
 * carries its lock in bit 0 and each chain ends in a nulls marker ({@link HlistNulls}). Bounded by the table
 * size, a visited set over all chains and the snapshot's node budget.
 */
final class RhashTables {
    static final int MAX_BUCKETS = 1 << 20;
    static final int MAX_NODES = 65_536;

    private RhashTables() {
    }

    /**
     * Visits every object in the global rhashtable {@code name}: objects of {@code entryType} linked through
     * their {@code rhash_head} member {@code member}. A table not allocated yet has no entries.
     */
    static void forEach(KernelView view, SnapshotBudget budget, String name, String entryType, String member,
            Consumer<GuestObject> visit) {
        GuestObject ht = view.global(name, "struct rhashtable");
        if (ht.field("tbl").isNull()) {
            return;
        }
        GuestObject tbl = ht.field("tbl").deref();
        long size = tbl.field("size").asLong();
        if (size <= 0 || size > MAX_BUCKETS) {
            throw new CorruptGuestDataException(name + " bucket table size " + size);
        }
        long buckets = tbl.field("buckets").address();
        long nodeOffset = GuestObject.memberOffset(view, view.btf(), view.typeId(entryType), member);
        HlistNulls chains = new HlistNulls(view, budget, name, MAX_NODES);
        for (long b = 0; b < size; b++) {
            long first = view.readLong(buckets + 8 * b) & ~1L; // bit 0 is the bucket lock
            long stopped = chains.walk(first, node -> visit.accept(view.object(node - nodeOffset, entryType)));
            if (stopped != 0) {
                throw new CorruptGuestDataException(name + " chain loops or is too long at 0x" + Long.toHexString(stopped));
            }
        }
    }
}
