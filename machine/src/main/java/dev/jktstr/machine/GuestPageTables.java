package dev.jktstr.machine;

/**
 * The guest's x86-64 page tables, 4- or 5-level, with 1 GiB and 2 MiB leaves, walked over {@link GuestMemory}:
 * memory introspection finds the kernel through them, tests check a backend's RAM and registers with them.
 * Table entries outside guest RAM read as not present, so a corrupted table ends in "unmapped", never out of bounds.
 */
public final class GuestPageTables {
    /** The physical-address bits of a table entry (and of CR3). */
    public static final long ADDR_MASK = 0x000F_FFFF_FFFF_F000L;
    private static final long PRESENT = 1;
    private static final long HUGE = 1 << 7;
    /** What {@link #translate} returns for an address no page maps. */
    public static final long NOT_MAPPED = -1;
    /** CR4.LA57: 5-level paging. */
    public static final long CR4_LA57 = 1 << 12;
    /** Where x86-64 Linux maps its kernel image (__START_KERNEL_map), before the KASLR slide. */
    public static final long START_KERNEL_MAP = 0xFFFF_FFFF_8000_0000L;

    private final GuestMemory memory;
    private final long root;
    private final boolean fiveLevel;

    public GuestPageTables(GuestMemory memory, long rootPa, boolean fiveLevel) {
        this.memory = memory;
        this.root = rootPa & ADDR_MASK;
        this.fiveLevel = fiveLevel;
    }

    /** The tables of a paused vCPU: CR3 for the root, CR4.LA57 for the depth. */
    public static GuestPageTables of(GuestMemory memory, long cr3, long cr4) {
        return new GuestPageTables(memory, cr3, (cr4 & CR4_LA57) != 0);
    }

    public long root() {
        return root;
    }

    public boolean fiveLevel() {
        return fiveLevel;
    }

    /** The guest-physical address {@code va} maps to, or {@link #NOT_MAPPED}. */
    public long translate(long va) {
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
    public long firstKernelImageSlot() {
        for (long va = START_KERNEL_MAP; Long.compareUnsigned(va, 0xFFFF_FFFF_C000_0000L) < 0; va += 1 << 21) {
            if (translate(va) != NOT_MAPPED) {
                return va;
            }
        }
        return NOT_MAPPED;
    }
}
