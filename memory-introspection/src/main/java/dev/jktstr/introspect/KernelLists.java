package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Kernel {@code list_head} lists, as drgn's {@code list_for_each_entry}, bounded against corrupted lists. */
public final class KernelLists {
    private KernelLists() {
    }

    /**
     * The entries of a kernel {@code list_head} list: for each node, the {@code containerType} object
     * whose {@code member} is that node. Bounded by {@code max} entries and a visited set, so a
     * corrupted list ends in {@link CorruptGuestDataException}, not a hang.
     */
    public static List<GuestObject> entries(KernelView view, long headVa, String containerType, String member, int max) {
        int type = view.typeId(containerType);
        long offset = GuestObject.memberOffset(view, view.btf(), type, member);
        List<GuestObject> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long node = view.readLong(headVa);
        while (node != headVa) {
            if (!seen.add(node)) {
                throw new CorruptGuestDataException(String.format("list at 0x%x loops at 0x%x without returning to the head",
                        headVa, node));
            }
            if (out.size() >= max) {
                throw new CorruptGuestDataException(String.format("list at 0x%x has more than %d entries", headVa, max));
            }
            out.add(view.object(node - offset, type));
            node = view.readLong(node);
        }
        return out;
    }
}
