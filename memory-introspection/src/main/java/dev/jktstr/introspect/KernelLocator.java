package dev.jktstr.introspect;

import dev.jktstr.machine.GuestPageTables;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.VcpuRegisters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Finds a running kernel in guest memory from one paused vCPU's registers: the KASLR slide, {@code phys_base},
 * {@code page_offset_base} and the page tables to walk. The slide is MSR_LSTAR − {@code entry_SYSCALL_64} where
 * the backend can read MSRs, else the lowest mapped 2 MiB slot of the kernel-image range in the tables CR3 points
 * at (cleanup_highmap() unmaps everything below {@code _text}). Either candidate must pass the
 * {@code linux_banner} check.
 */
final class KernelLocator {
    private static final long CR4_LA57 = 1L << 12;

    private KernelLocator() {
    }

    /** See {@link KernelView#attach}. */
    static KernelView attach(GuestMemory memory, VcpuRegisters regs, Btf btf, KernelSymbols symbols) {
        boolean fiveLevel = (regs.cr4() & CR4_LA57) != 0;
        long text = KernelView.requireSymbol(symbols, "_text");
        long cr3 = regs.cr3() & GuestPageTables.ADDR_MASK;
        // With page-table isolation CR3 may hold the user half; the kernel half is the 8 KiB-aligned page below.
        List<GuestPageTables> candidates = new ArrayList<>();
        candidates.add(new GuestPageTables(memory, cr3, fiveLevel));
        if ((cr3 & 0x1000) != 0) {
            candidates.add(new GuestPageTables(memory, cr3 & ~0x1000L, fiveLevel));
        }
        List<String> tried = new ArrayList<>();
        for (GuestPageTables w : candidates) {
            OptionalLong lstar = regs.get("LSTAR");
            OptionalLong entry = symbols.address("entry_SYSCALL_64");
            if (lstar.isPresent() && entry.isPresent() && lstar.getAsLong() != 0) {
                long s = lstar.getAsLong() - entry.getAsLong();
                if (bannerOk(memory, w, symbols, s)) {
                    return finish(memory, btf, symbols, w, s, "MSR_LSTAR - entry_SYSCALL_64");
                }
                tried.add(String.format("LSTAR slide 0x%x with CR3 0x%x", s, w.root()));
            }
            long first = w.firstKernelImageSlot();
            if (first != GuestPageTables.NOT_MAPPED) {
                long s = first - text;
                if (bannerOk(memory, w, symbols, s)) {
                    return finish(memory, btf, symbols, w, s, "page-table walk of the kernel-image range from CR3");
                }
                tried.add(String.format("walk slide 0x%x with CR3 0x%x", s, w.root()));
            } else {
                tried.add(String.format("no kernel-image mapping under CR3 0x%x", w.root()));
            }
        }
        throw new IntrospectionException("cannot locate the kernel in guest memory (tried " + tried
                + "); are System.map and vmlinux from the kernel that runs, and is the guest past early boot?");
    }

    private static boolean bannerOk(GuestMemory memory, GuestPageTables w, KernelSymbols symbols, long slide) {
        OptionalLong banner = symbols.address("linux_banner");
        long probe = banner.isPresent() ? banner.getAsLong() : KernelView.requireSymbol(symbols, "_text");
        long pa = w.translate(probe + slide);
        if (pa == GuestPageTables.NOT_MAPPED || !memory.isRam(pa, 14)) {
            return false;
        }
        return banner.isEmpty() || new String(memory.readBytes(pa, 13), StandardCharsets.US_ASCII).equals("Linux version");
    }

    private static KernelView finish(GuestMemory memory, Btf btf, KernelSymbols symbols, GuestPageTables cr3Walker,
            long slide, String how) {
        long physBaseVa = KernelView.requireSymbol(symbols, "phys_base") + slide;
        long physBase = readVia(memory, cr3Walker, physBaseVa);
        long text = KernelView.requireSymbol(symbols, "_text");
        long textPa = cr3Walker.translate(text + slide);
        if (textPa != text + slide - KernelView.START_KERNEL_MAP + physBase) {
            // phys_base disagrees with the tables: use the walk for the image too (-1 marks "no linear image map").
            physBase = Long.MIN_VALUE;
        }
        long pob = readVia(memory, cr3Walker, KernelView.requireSymbol(symbols, "page_offset_base") + slide);
        // Kernel-half tables are shared by every process; init_top_pgt is stable whoever runs.
        GuestPageTables w = cr3Walker;
        long topPa = cr3Walker.translate(KernelView.requireSymbol(symbols, "init_top_pgt") + slide);
        if (topPa != GuestPageTables.NOT_MAPPED) {
            GuestPageTables init = new GuestPageTables(memory, topPa, cr3Walker.fiveLevel());
            if (init.translate(text + slide) == textPa) {
                w = init;
            }
        }
        return new KernelView(memory, btf, symbols, slide, how, physBase, pob, w);
    }

    private static long readVia(GuestMemory memory, GuestPageTables w, long va) {
        long pa = w.translate(va);
        if (pa == GuestPageTables.NOT_MAPPED || !memory.isRam(pa, 8)) {
            throw new UnmappedAddressException(va, "is not mapped while locating the kernel");
        }
        return memory.readLong(pa);
    }
}
