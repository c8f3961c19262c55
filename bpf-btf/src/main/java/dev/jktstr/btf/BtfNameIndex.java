package dev.jktstr.btf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Lookup of one BTF's own named types by name: an open-addressing table of type ids keyed by the
 * FNV-1a hash of the name bytes, filled in id order (so probing meets lower ids first). Names are
 * compared in place in the string section. The base of split BTF has its own index; {@link Btf}
 * consults it first.
 */
final class BtfNameIndex {

    private final Btf btf;
    private final int[] table;

    /** Indexes the types {@code btf} defines itself (ids from {@link Btf#firstId()}). */
    BtfNameIndex(Btf btf) {
        this.btf = btf;
        int first = btf.firstId();
        int count = btf.typeCount() - first;
        int cap = Integer.highestOneBit(Math.max(count, 8) * 2 - 1) << 1;
        int[] t = new int[cap];
        int mask = cap - 1;
        BtfStrings strings = btf.strings();
        for (int i = 0; i < count; i++) {
            int id = first + i;
            int off = btf.nameOff(id);
            if (off == 0) {
                continue;
            }
            int slot = strings.hash(off) & mask;
            while (t[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            t[slot] = id;
        }
        this.table = t;
    }

    /** Adds the ids of this BTF's types named {@code name} to {@code out}, in id order. */
    void findAll(String name, List<Integer> out) {
        byte[] q = name.getBytes(StandardCharsets.UTF_8);
        BtfStrings strings = btf.strings();
        int mask = table.length - 1;
        for (int slot = BtfStrings.hash(q) & mask; table[slot] != 0; slot = (slot + 1) & mask) {
            int id = table[slot];
            if (strings.equals(btf.nameOff(id), q)) {
                out.add(id);
            }
        }
    }

    /** The lowest id of this BTF's types named {@code name} of {@code kind} (null: any), or 0. */
    int find(String name, BtfKind kind) {
        byte[] q = name.getBytes(StandardCharsets.UTF_8);
        BtfStrings strings = btf.strings();
        int mask = table.length - 1;
        for (int slot = BtfStrings.hash(q) & mask; table[slot] != 0; slot = (slot + 1) & mask) {
            int id = table[slot];
            if ((kind == null || btf.kindOf(id) == kind.number()) && strings.equals(btf.nameOff(id), q)) {
                return id;
            }
        }
        return 0;
    }
}
