package dev.jktstr.qemu;

import dev.jktstr.machine.GuestMemory;
import java.util.OptionalLong;

/**
 * x86-64 4- or 5-level page-table walk over guest memory: just enough to find the kernel image under
 * KASLR. The real one is memory-introspection's {@code PageTableWalker}, but that module already depends
 * on this one (its tests boot through QEMU), so a test-scope dependency back would be a reactor cycle;
 * this stays test-only and small.
 */
final class PageWalker {

    private static final long ADDR_MASK = 0x000F_FFFF_FFFF_F000L;
    private static final long PRESENT = 1;
    private static final long HUGE = 1 << 7;

    /** CR4.LA57: 5-level paging, which QEMU's {@code -cpu max} offers and Linux then uses. */
    private static final long CR4_LA57 = 1 << 12;

    private final GuestMemory memory;
    private final long root;
    private final boolean fiveLevel;

    PageWalker(GuestMemory memory, long cr3, long cr4) {
        this.memory = memory;
        this.root = cr3 & ADDR_MASK;
        this.fiveLevel = (cr4 & CR4_LA57) != 0;
    }

    /** The guest-physical address a virtual address maps to, if mapped. */
    OptionalLong translate(long va) {
        long pml4 = root;
        if (fiveLevel) {
            long e5 = entry(root, (va >>> 48) & 511);
            if ((e5 & PRESENT) == 0) {
                return OptionalLong.empty();
            }
            pml4 = e5 & ADDR_MASK;
        }
        long e4 = entry(pml4, (va >>> 39) & 511);
        if ((e4 & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        long e3 = entry(e4 & ADDR_MASK, (va >>> 30) & 511);
        if ((e3 & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        if ((e3 & HUGE) != 0) {
            return OptionalLong.of((e3 & ADDR_MASK & ~((1L << 30) - 1)) | (va & ((1L << 30) - 1)));
        }
        long e2 = entry(e3 & ADDR_MASK, (va >>> 21) & 511);
        if ((e2 & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        if ((e2 & HUGE) != 0) {
            return OptionalLong.of((e2 & ADDR_MASK & ~((1L << 21) - 1)) | (va & ((1L << 21) - 1)));
        }
        long e1 = entry(e2 & ADDR_MASK, (va >>> 12) & 511);
        if ((e1 & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of((e1 & ADDR_MASK) | (va & 0xFFF));
    }

    private long entry(long table, long index) {
        long gpa = table + index * 8;
        return memory.isRam(gpa, 8) ? memory.readLong(gpa) : 0;
    }

    /**
     * The lowest mapped 2 MiB slot of the kernel-image range. Linux's cleanup_highmap() unmaps every
     * slot below {@code _text}, so this is where {@code _text} lives after the KASLR slide.
     */
    OptionalLong firstKernelImagePage() {
        for (long va = 0xFFFF_FFFF_8000_0000L; Long.compareUnsigned(va, 0xFFFF_FFFF_C000_0000L) < 0; va += 1 << 21) {
            if (translate(va).isPresent()) {
                return OptionalLong.of(va);
            }
        }
        return OptionalLong.empty();
    }
}
