package dev.jktstr.introspect;

import java.util.List;

/** IDRs, as drgn's {@code idr_for_each}: an {@code struct idr} is an XArray ({@code idr_rt}) of pointers by id. */
final class Idr {
    private Idr() {
    }

    /**
     * The pointers registered in the global {@code struct idr} {@code name}, in id order, repeats included;
     * see {@link XArrays#entries} for the bounds.
     */
    static List<Long> pointers(KernelView view, SnapshotBudget budget, String name, int maxEntries, String noun) {
        GuestObject idr = view.global(name, "struct idr");
        long head = idr.field("idr_rt.xa_head").pointerValue();
        return XArrays.entries(view, budget, name, head, maxEntries, noun);
    }
}
