package dev.jktstr.introspect;

import dev.jktstr.machine.GuestPageTables;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.GuestMemoryException;
import dev.jktstr.machine.VcpuRegisters;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * A running x86-64 Linux kernel seen through its guest-physical memory: kernel-virtual to
 * guest-physical translation under KASLR, bounds-checked reads, symbols at their runtime addresses, and
 * typed access through BTF ({@link GuestObject}). Per-CPU access is {@link #perCpu()}; lists, xarrays and
 * the like are walked by the helpers beside it ({@link KernelLists}, ...).
 *
 * <p>Translation: the kernel image ({@code _text.._end}) maps linearly at {@code phys_base}, the direct
 * map at the runtime {@code page_offset_base}; everything else (vmalloc, per-CPU chunks, BPF memory)
 * goes through a 4- or 5-level page-table walk from {@code init_top_pgt}, cached per 4 KiB page until
 * {@link #invalidate()}. {@link #attach} finds the KASLR slide and those bases ({@link KernelLocator}).
 *
 * <p>Reads are racy while vCPUs run; pause the machine for a consistent view. Every read is
 * bounds-checked: a bad address ends in {@link UnmappedAddressException}. Safe for use from several
 * threads (the translation cache tolerates races).
 */
public final class KernelView {
    static final long START_KERNEL_MAP = GuestPageTables.START_KERNEL_MAP;
    private static final int CACHE_SLOTS = 1024;

    private record CachedPage(long vpage, long ppage) {}

    private final GuestMemory memory;
    private final Btf btf;
    private final KernelSymbols symbols;
    private final long slide;
    private final long physBase;
    private final long pageOffsetBase;
    private final long imageStart;
    private final long imageEnd;
    private final long directMapLimit;
    private final GuestPageTables walker;
    private final String slideSource;
    private final CachedPage[] cache = new CachedPage[CACHE_SLOTS];
    private final TypeResolver types;
    private final PerCpu perCpu = new PerCpu(this);

    KernelView(GuestMemory memory, Btf btf, KernelSymbols symbols, long slide, String slideSource, long physBase,
            long pageOffsetBase, GuestPageTables walker) {
        this.memory = memory;
        this.btf = btf;
        this.types = new TypeResolver(btf);
        this.symbols = symbols;
        this.slide = slide;
        this.slideSource = slideSource;
        this.physBase = physBase;
        this.pageOffsetBase = pageOffsetBase;
        this.walker = walker;
        this.imageStart = symbols.requireAddress("_text") + slide;
        this.imageEnd = symbols.address("_end").orElse(symbols.requireAddress("_text") + (64L << 20)) + slide;
        long top = 0;
        for (GuestMemory.Range r : memory.ramRanges()) {
            top = Math.max(top, r.end());
        }
        this.directMapLimit = top;
    }

    /**
     * Attaches to a kernel whose vCPU registers were read while paused (any vCPU). {@code symbols} are
     * link-time addresses (System.map or vmlinux .symtab); {@code btf} the kernel's vmlinux BTF.
     *
     * @throws IntrospectionException when the kernel cannot be located in memory (wrong symbols for this
     *     kernel, paging off, ...)
     */
    public static KernelView attach(GuestMemory memory, VcpuRegisters regs, Btf btf, KernelSymbols symbols) {
        return KernelLocator.attach(memory, regs, btf, symbols);
    }

    /**
     * A view over {@code memory} laid out by hand (tests): no KASLR slide, the kernel image at physical
     * {@code imagePa}, the direct map at {@code pageOffsetBase}, and no other mappings.
     */
    static KernelView ofLayout(GuestMemory memory, Btf btf, KernelSymbols symbols, long imagePa, long pageOffsetBase) {
        long physBase = imagePa - (requireSymbol(symbols, "_text") - START_KERNEL_MAP);
        long emptyRoot = memory.ramRanges().getFirst().start();
        return new KernelView(memory, btf, symbols, 0, "test layout", physBase, pageOffsetBase,
                new GuestPageTables(memory, emptyRoot, false));
    }

    static long requireSymbol(KernelSymbols symbols, String name) {
        return symbols.address(name).orElseThrow(() -> new IntrospectionException(
                "symbol " + name + " is not in the kernel's symbol table (System.map or vmlinux .symtab)"));
    }

    // ---------------------------------------------------------------- facts

    public GuestMemory memory() {
        return memory;
    }

    public Btf btf() {
        return btf;
    }

    public KernelSymbols symbols() {
        return symbols;
    }

    /** The KASLR virtual slide: runtime address − link-time address of the kernel image. */
    public long slide() {
        return slide;
    }

    /** How the slide was found (MSR_LSTAR or a page-table walk), for reports. */
    public String slideSource() {
        return slideSource;
    }

    /** The kernel's {@code phys_base}, or empty when it disagreed with the page tables (then the walk is used). */
    public OptionalLong physBase() {
        return physBase == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(physBase);
    }

    public long pageOffsetBase() {
        return pageOffsetBase;
    }

    public boolean fiveLevelPaging() {
        return walker.fiveLevel();
    }

    /** CPU ids, the online mask and per-CPU offsets of this kernel. */
    public PerCpu perCpu() {
        return perCpu;
    }

    /** Cached BTF lookups behind typed reads. */
    TypeResolver types() {
        return types;
    }

    /** Drops cached page-table translations (do this whenever the guest ran since the last read). */
    public void invalidate() {
        java.util.Arrays.fill(cache, null);
    }

    // ---------------------------------------------------------------- translation

    /** The guest-physical address of kernel-virtual {@code va}. */
    public long translate(long va) {
        if (physBase != Long.MIN_VALUE && Long.compareUnsigned(va, imageStart) >= 0 && Long.compareUnsigned(va, imageEnd) < 0) {
            return va - START_KERNEL_MAP + physBase;
        }
        long off = va - pageOffsetBase;
        if (Long.compareUnsigned(va, pageOffsetBase) >= 0 && Long.compareUnsigned(off, directMapLimit) < 0) {
            return off;
        }
        long vpage = va & ~0xFFFL;
        int slot = (int) ((vpage >>> 12) & (CACHE_SLOTS - 1));
        CachedPage c = cache[slot];
        if (c != null && c.vpage == vpage) {
            return c.ppage | (va & 0xFFF);
        }
        if (va >= 0) {
            throw new UnmappedAddressException(va, "is not a kernel address");
        }
        long pa = walker.translate(va);
        if (pa == GuestPageTables.NOT_MAPPED) {
            throw new UnmappedAddressException(va, "is not mapped in the kernel page tables");
        }
        cache[slot] = new CachedPage(vpage, pa & ~0xFFFL);
        return pa;
    }

    /** Whether {@code length} bytes at {@code va} can be read. */
    public boolean isReadable(long va, long length) {
        try {
            for (long p = va & ~0xFFFL; Long.compareUnsigned(p, va + length) < 0; p += 4096) {
                long pa = translate(Long.compareUnsigned(p, va) < 0 ? va : p);
                if (!memory.isRam(pa, 1)) {
                    return false;
                }
            }
            return true;
        } catch (IntrospectionException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- raw reads

    public long readLong(long va) {
        if ((va & 0xFFF) <= 0x1000 - 8) {
            long pa = translate(va);
            try {
                return memory.readLong(pa);
            } catch (GuestMemoryException e) {
                throw outsideRam(va, pa);
            }
        }
        return MemorySegment.ofArray(readBytes(va, 8)).get(GuestObject.LONG, 0);
    }

    public int readInt(long va) {
        if ((va & 0xFFF) <= 0x1000 - 4) {
            long pa = translate(va);
            try {
                return memory.readInt(pa);
            } catch (GuestMemoryException e) {
                throw outsideRam(va, pa);
            }
        }
        return MemorySegment.ofArray(readBytes(va, 4)).get(GuestObject.INT, 0);
    }

    /** {@code length} bytes at {@code va}, page by page (each page translated on its own). */
    public byte[] readBytes(long va, int length) {
        if (length < 0 || length > (64 << 20)) {
            throw new IntrospectionException("refusing to read " + length + " bytes at 0x" + Long.toHexString(va));
        }
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long at = va + done;
            int chunk = (int) Math.min(length - done, 0x1000 - (at & 0xFFF));
            long pa = translate(at);
            try {
                MemorySegment.copy(memory.segment(pa, chunk), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, out, done, chunk);
            } catch (GuestMemoryException e) {
                throw outsideRam(at, pa);
            }
            done += chunk;
        }
        return out;
    }

    /**
     * {@code length} bytes at {@code va} as a segment: a live view of guest RAM where the range is
     * physically contiguous inside one backing mapping, else a copy.
     */
    public MemorySegment segment(long va, long length) {
        if (length < 0 || length > (64 << 20)) {
            throw new IntrospectionException("refusing to map " + length + " bytes at 0x" + Long.toHexString(va));
        }
        long pa = translate(va);
        boolean contiguous = true;
        for (long p = (va & ~0xFFFL) + 0x1000; Long.compareUnsigned(p, va + length) < 0; p += 0x1000) {
            if (translate(p) != pa + (p - va)) {
                contiguous = false;
                break;
            }
        }
        if (contiguous) {
            try {
                return memory.segment(pa, length);
            } catch (GuestMemoryException e) {
                // spans two backing mappings or leaves RAM: fall through to the page-wise copy
            }
        }
        return MemorySegment.ofArray(readBytes(va, (int) length));
    }

    /** A NUL-terminated string of at most {@code maxLength} bytes (lenient UTF-8). */
    public String readCString(long va, int maxLength) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        int done = 0;
        while (done < maxLength) {
            long at = va + done;
            int chunk = (int) Math.min(maxLength - done, 0x1000 - (at & 0xFFF));
            byte[] part = readBytes(at, chunk);
            for (byte b : part) {
                if (b == 0) {
                    return bytes.toString(StandardCharsets.UTF_8);
                }
                bytes.write(b);
            }
            done += chunk;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private UnmappedAddressException outsideRam(long va, long pa) {
        return new UnmappedAddressException(va, String.format("maps to 0x%x, outside guest RAM %s", pa, memory.ramRanges()));
    }

    // ---------------------------------------------------------------- symbols

    /** Runtime address of a kernel-image symbol (link-time address + slide). */
    public long symbol(String name) {
        long link = requireSymbol(symbols, name);
        return isPerCpuSymbol(link) ? link : link + slide;
    }

    public boolean hasSymbol(String name) {
        return symbols.address(name).isPresent();
    }

    private static boolean isPerCpuSymbol(long link) {
        // Per-CPU variables link at small offsets into the zero-based .data..percpu section.
        return link >= 0 && link < (1L << 32);
    }

    /** Name of the symbol at runtime address {@code va} (e.g. {@code fair_sched_class}), or hex. */
    public String symbolName(long va) {
        return symbols.lookup(va - slide).map(s -> s.offset() == 0 ? s.symbol().name() : s.toString())
                .orElse(String.format("0x%x", va));
    }

    // ---------------------------------------------------------------- typed access

    /** CPU {@code cpu}'s instance of per-CPU variable {@code name}, typed by its BTF VAR. */
    public GuestObject percpu(String name, int cpu) {
        return object(perCpu.address(symbol(name), cpu), types.varType(name));
    }

    /** Global variable {@code name}, typed by its BTF VAR (per-CPU vars only have one) or by {@code typeName}. */
    public GuestObject global(String name, String typeName) {
        return object(symbol(name), typeId(typeName));
    }

    /** Global variable {@code name}, typed by its BTF VAR. */
    public GuestObject global(String name) {
        return object(symbol(name), types.varType(name));
    }

    /** An object of type {@code typeName} (e.g. {@code task_struct}, {@code struct rq}) at {@code va}. */
    public GuestObject object(long va, String typeName) {
        return object(va, typeId(typeName));
    }

    public GuestObject object(long va, int typeId) {
        return new GuestObject(this, btf, va, typeId, 0, 0);
    }

    /** The BTF type id for a C type name: {@code task_struct}, {@code struct rq}, {@code u64}. */
    public int typeId(String typeName) {
        return types.typeId(typeName);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
