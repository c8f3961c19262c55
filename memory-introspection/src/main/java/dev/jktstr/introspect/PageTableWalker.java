package dev.jktstr.introspect;

import dev.jktstr.machine.GuestMemory;

/**
 * x86-64 4- or 5-level page-table walk over guest memory, with 1 GiB and 2 MiB leaves. Table entries
 * outside guest RAM read as not present, so a corrupted table ends in "unmapped", never out of bounds.
 */
final class PageTableWalker {
    static final long ADDR_MASK = 0x000F_FFFF_FFFF_F000L;
    private static final long PRESENT = 1;
    private static final long HUGE = 1 << 7;
    static final long NOT_MAPPED = -1;

    private final GuestMemory memory;
    private final long root;
    private final boolean fiveLevel;

    PageTableWalker(GuestMemory memory, long rootPa, boolean fiveLevel) {
        this.memory = memory;
        this.root = rootPa & ADDR_MASK;
        this.fiveLevel = fiveLevel;
    }

    long root() {
        return root;
    }

    boolean fiveLevel() {
        return fiveLevel;
    }

    /** The guest-physical address {@code va} maps to, or {@link #NOT_MAPPED}. */
    long translate(long va) {
        long table = root;
        if (fiveLevel) {
            long e5 = entry(table, (va >>> 48) & 511);
            if ((e5 & PRESENT) == 0) {
                return NOT_MAPPED;
            }
            table = e5 & ADDR_MASK;
        }
        long e4 = entry(table, (va >>> 39) & 511);
        if ((e4 & PRESENT) == 0) {
            return NOT_MAPPED;
        }
        long e3 = entry(e4 & ADDR_MASK, (va >>> 30) & 511);
        if ((e3 & PRESENT) == 0) {
            return NOT_MAPPED;
        }
        if ((e3 & HUGE) != 0) {
            return (e3 & ADDR_MASK & ~((1L << 30) - 1)) | (va & ((1L << 30) - 1));
        }
        long e2 = entry(e3 & ADDR_MASK, (va >>> 21) & 511);
        if ((e2 & PRESENT) == 0) {
            return NOT_MAPPED;
        }
        if ((e2 & HUGE) != 0) {
            return (e2 & ADDR_MASK & ~((1L << 21) - 1)) | (va & ((1L << 21) - 1));
        }
        long e1 = entry(e2 & ADDR_MASK, (va >>> 12) & 511);
        if ((e1 & PRESENT) == 0) {
            return NOT_MAPPED;
        }
        return (e1 & ADDR_MASK) | (va & 0xFFF);
    }

    private long entry(long table, long index) {
        long gpa = table + index * 8;
        return memory.isRam(gpa, 8) ? memory.readLong(gpa) : 0;
    }

    /**
     * The lowest mapped 2 MiB slot of the kernel-image range, or {@link #NOT_MAPPED}. Linux's
     * cleanup_highmap() unmaps every slot below {@code _text}, so this is where {@code _text} landed.
     */
    long firstKernelImageSlot() {
        for (long va = KernelView.START_KERNEL_MAP; Long.compareUnsigned(va, 0xFFFF_FFFF_C000_0000L) < 0; va += 1 << 21) {
            if (translate(va) != NOT_MAPPED) {
                return va;
            }
        }
        return NOT_MAPPED;
    }
}
