package dev.jktstr.introspect;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfException;
import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.GuestMemoryException;
import dev.jktstr.machine.VcpuRegisters;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A running x86-64 Linux kernel seen through its guest-physical memory: kernel-virtual to
 * guest-physical translation under KASLR, symbols at their runtime addresses, per-CPU variables, and
 * typed access through BTF ({@link GuestObject}).
 *
 * <p>Translation: the kernel image ({@code _text.._end}) maps linearly at {@code phys_base}, the direct
 * map at the runtime {@code page_offset_base}; everything else (vmalloc, per-CPU chunks, BPF memory)
 * goes through a 4- or 5-level page-table walk from {@code init_top_pgt}, cached per 4 KiB page until
 * {@link #invalidate()}. The KASLR slide is found while paused: MSR_LSTAR − {@code entry_SYSCALL_64}
 * where the backend can read MSRs, else the lowest mapped 2 MiB slot of the kernel-image range in the
 * tables CR3 points at (cleanup_highmap() unmaps everything below {@code _text}). Either way the result
 * is checked by reading {@code linux_banner}.
 *
 * <p>Reads are racy while vCPUs run; pause the machine for a consistent view. Every read is
 * bounds-checked: a bad address ends in {@link UnmappedAddressException}. Safe for use from several
 * threads (the translation cache tolerates races).
 */
public final class KernelView {
    static final long START_KERNEL_MAP = 0xFFFF_FFFF_8000_0000L;
    private static final long KERNEL_IMAGE_END = 0xFFFF_FFFF_C000_0000L;
    private static final long CR4_LA57 = 1L << 12;
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
    private final PageTableWalker walker;
    private final String slideSource;
    private final CachedPage[] cache = new CachedPage[CACHE_SLOTS];
    private final Map<Object, Object> typeCache = new ConcurrentHashMap<>();
    private final Map<String, Integer> varTypes = new ConcurrentHashMap<>();
    private volatile int cpuLimit = dev.jktstr.machine.Topology.MAX_CPUS;

    private KernelView(GuestMemory memory, Btf btf, KernelSymbols symbols, long slide, String slideSource, long physBase,
            long pageOffsetBase, PageTableWalker walker) {
        this.memory = memory;
        this.btf = btf;
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
        boolean fiveLevel = (regs.cr4() & CR4_LA57) != 0;
        long text = requireSymbol(symbols, "_text");
        long cr3 = regs.cr3() & PageTableWalker.ADDR_MASK;
        // With page-table isolation CR3 may hold the user half; the kernel half is the 8 KiB-aligned page below.
        List<PageTableWalker> candidates = new ArrayList<>();
        candidates.add(new PageTableWalker(memory, cr3, fiveLevel));
        if ((cr3 & 0x1000) != 0) {
            candidates.add(new PageTableWalker(memory, cr3 & ~0x1000L, fiveLevel));
        }
        List<String> tried = new ArrayList<>();
        for (PageTableWalker w : candidates) {
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
            if (first != PageTableWalker.NOT_MAPPED) {
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

    /**
     * A view over {@code memory} laid out by hand (tests): no KASLR slide, the kernel image at physical
     * {@code imagePa}, the direct map at {@code pageOffsetBase}, and no other mappings.
     */
    static KernelView ofLayout(GuestMemory memory, Btf btf, KernelSymbols symbols, long imagePa, long pageOffsetBase) {
        long physBase = imagePa - (requireSymbol(symbols, "_text") - START_KERNEL_MAP);
        long emptyRoot = memory.ramRanges().getFirst().start();
        return new KernelView(memory, btf, symbols, 0, "test layout", physBase, pageOffsetBase,
                new PageTableWalker(memory, emptyRoot, false));
    }

    private static boolean bannerOk(GuestMemory memory, PageTableWalker w, KernelSymbols symbols, long slide) {
        OptionalLong banner = symbols.address("linux_banner");
        long probe = banner.isPresent() ? banner.getAsLong() : requireSymbol(symbols, "_text");
        long pa = w.translate(probe + slide);
        if (pa == PageTableWalker.NOT_MAPPED || !memory.isRam(pa, 14)) {
            return false;
        }
        return banner.isEmpty() || new String(memory.readBytes(pa, 13), StandardCharsets.US_ASCII).equals("Linux version");
    }

    private static KernelView finish(GuestMemory memory, Btf btf, KernelSymbols symbols, PageTableWalker cr3Walker,
            long slide, String how) {
        long physBaseVa = requireSymbol(symbols, "phys_base") + slide;
        long physBase = readVia(memory, cr3Walker, physBaseVa);
        long text = requireSymbol(symbols, "_text");
        long textPa = cr3Walker.translate(text + slide);
        if (textPa != text + slide - START_KERNEL_MAP + physBase) {
            // phys_base disagrees with the tables: use the walk for the image too (-1 marks "no linear image map").
            physBase = Long.MIN_VALUE;
        }
        long pob = readVia(memory, cr3Walker, requireSymbol(symbols, "page_offset_base") + slide);
        // Kernel-half tables are shared by every process; init_top_pgt is stable whoever runs.
        PageTableWalker w = cr3Walker;
        long topPa = cr3Walker.translate(requireSymbol(symbols, "init_top_pgt") + slide);
        if (topPa != PageTableWalker.NOT_MAPPED) {
            PageTableWalker init = new PageTableWalker(memory, topPa, cr3Walker.fiveLevel());
            if (init.translate(text + slide) == textPa) {
                w = init;
            }
        }
        return new KernelView(memory, btf, symbols, slide, how, physBase, pob, w);
    }

    private static long readVia(GuestMemory memory, PageTableWalker w, long va) {
        long pa = w.translate(va);
        if (pa == PageTableWalker.NOT_MAPPED || !memory.isRam(pa, 8)) {
            throw new UnmappedAddressException(va, "is not mapped while locating the kernel");
        }
        return memory.readLong(pa);
    }

    private static long requireSymbol(KernelSymbols symbols, String name) {
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
        if (pa == PageTableWalker.NOT_MAPPED) {
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

    // ---------------------------------------------------------------- symbols and per-CPU

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

    /**
     * {@code nr_cpu_ids}: how many CPU ids the kernel may use, capped at {@link #cpuLimit()} (the VM's own
     * vCPU count): a guest claiming more CPUs than the VM has cannot multiply per-CPU reads.
     */
    public int nrCpuIds() {
        return Math.min(guestNrCpuIds(), cpuLimit);
    }

    /** {@code nr_cpu_ids} as the guest kernel states it (at most 8192, else corrupt), uncapped. */
    public int guestNrCpuIds() {
        int n = readInt(symbol("nr_cpu_ids"));
        if (n <= 0 || n > 8192) {
            throw new CorruptGuestDataException("nr_cpu_ids reads " + n);
        }
        return n;
    }

    /** The most CPU ids per-CPU walks consider: the VM's topology ({@link dev.jktstr.machine.Topology#MAX_CPUS} until told). */
    public int cpuLimit() {
        return cpuLimit;
    }

    /** Caps CPU ids at {@code cpus}, the VM's own vCPU count. */
    public void limitCpus(int cpus) {
        if (cpus <= 0) {
            throw new IllegalArgumentException("cpus " + cpus);
        }
        this.cpuLimit = cpus;
    }

    /** CPU ids set in {@code __cpu_online_mask}. */
    public List<Integer> onlineCpus() {
        int n = nrCpuIds();
        List<Integer> cpus = new ArrayList<>();
        long mask = symbol("__cpu_online_mask");
        for (int word = 0; word * 64 < n; word++) {
            long bits = readLong(mask + 8L * word);
            for (int b = 0; b < 64 && word * 64 + b < n; b++) {
                if ((bits >>> b & 1) != 0) {
                    cpus.add(word * 64 + b);
                }
            }
        }
        return cpus;
    }

    /** {@code __per_cpu_offset[cpu]}. */
    public long perCpuOffset(int cpu) {
        if (cpu < 0 || cpu >= nrCpuIds()) {
            throw new IntrospectionException("cpu " + cpu + " out of range 0.." + (nrCpuIds() - 1));
        }
        return readLong(symbol("__per_cpu_offset") + 8L * cpu);
    }

    /** Address of CPU {@code cpu}'s instance of a per-CPU pointer or variable offset. */
    public long perCpuAddress(long perCpuPointer, int cpu) {
        return perCpuPointer + perCpuOffset(cpu);
    }

    /** CPU {@code cpu}'s instance of per-CPU variable {@code name}, typed by its BTF VAR. */
    public GuestObject percpu(String name, int cpu) {
        return object(perCpuAddress(symbol(name), cpu), varType(name));
    }

    /** Global variable {@code name}, typed by its BTF VAR (per-CPU vars only have one) or by {@code typeName}. */
    public GuestObject global(String name, String typeName) {
        return object(symbol(name), typeId(typeName));
    }

    /** Global variable {@code name}, typed by its BTF VAR. */
    public GuestObject global(String name) {
        return object(symbol(name), varType(name));
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
        String n = typeName.strip();
        BtfKind kind = null;
        if (n.startsWith("struct ")) {
            kind = BtfKind.STRUCT;
            n = n.substring(7).strip();
        } else if (n.startsWith("union ")) {
            kind = BtfKind.UNION;
            n = n.substring(6).strip();
        } else if (n.startsWith("enum ")) {
            kind = BtfKind.ENUM;
            n = n.substring(5).strip();
        }
        final BtfKind k = kind;
        final String name = n;
        Object hit = cached("type:" + typeName, () -> {
            if (k != null) {
                return btf.find(name, k).orElse(-1);
            }
            for (BtfKind c : new BtfKind[] {BtfKind.STRUCT, BtfKind.UNION, BtfKind.TYPEDEF, BtfKind.INT, BtfKind.ENUM}) {
                var id = btf.find(name, c);
                if (id.isPresent()) {
                    return id.getAsInt();
                }
            }
            return -1;
        });
        int id = (Integer) hit;
        if (id < 0) {
            throw new IntrospectionException("no type '" + typeName + "' in the kernel's BTF");
        }
        return id;
    }

    private int varType(String name) {
        return varTypes.computeIfAbsent(name, n -> {
            var id = btf.find(n, BtfKind.VAR);
            if (id.isEmpty()) {
                throw new IntrospectionException("no BTF VAR named '" + n + "' (only per-CPU variables have one; "
                        + "use global(name, type))");
            }
            return ((BtfType.Var) btf.type(id.getAsInt())).type();
        });
    }

    /** Decoded BTF type, cached per (btf, id). */
    BtfType type(Btf b, int id) {
        try {
            return (BtfType) cached(new TypeKey(b, id), () -> b.type(id));
        } catch (BtfException e) {
            throw new IntrospectionException("bad BTF type id " + id + ": " + e.getMessage(), e);
        }
    }

    int resolve(Btf b, int id) {
        try {
            return (Integer) cached(new ResolveKey(b, id), () -> b.resolve(id));
        } catch (BtfException e) {
            throw new IntrospectionException("bad BTF type id " + id + ": " + e.getMessage(), e);
        }
    }

    /** Where member {@code name} sits in composite {@code typeId} (searching anonymous members as C does). */
    GuestObject.MemberHit member(Btf b, int typeId, String name) {
        Object hit = cached(new MemberKey(b, typeId, name), () -> {
            GuestObject.MemberHit h = findMember(b, typeId, name, 0, 0);
            return h == null ? Boolean.FALSE : h;
        });
        return hit instanceof GuestObject.MemberHit h ? h : null;
    }

    private GuestObject.MemberHit findMember(Btf b, int typeId, String name, long baseBits, int depth) {
        if (depth > 16 || !(type(b, resolve(b, typeId)) instanceof BtfType.Composite c)) {
            return null;
        }
        for (BtfType.Member m : c.members()) {
            if (m.name().equals(name)) {
                return new GuestObject.MemberHit(m.type(), baseBits + m.bitOffset(), m.bitfieldSize());
            }
        }
        for (BtfType.Member m : c.members()) {
            if (m.name().isEmpty()) {
                GuestObject.MemberHit h = findMember(b, m.type(), name, baseBits + m.bitOffset(), depth + 1);
                if (h != null) {
                    return h;
                }
            }
        }
        return null;
    }

    /** Get-or-compute without computeIfAbsent: the computations themselves consult the cache. */
    private Object cached(Object key, java.util.function.Supplier<Object> compute) {
        Object v = typeCache.get(key);
        if (v == null) {
            v = compute.get();
            typeCache.putIfAbsent(key, v);
        }
        return v;
    }

    private record TypeKey(Btf btf, int id) {}

    private record ResolveKey(Btf btf, int id) {}

    private record MemberKey(Btf btf, int id, String name) {}

    // ---------------------------------------------------------------- lists

    /**
     * The entries of a kernel {@code list_head} list: for each node, the {@code containerType} object
     * whose {@code member} is that node. Bounded by {@code max} entries and a visited set, so a
     * corrupted list ends in {@link CorruptGuestDataException}, not a hang.
     */
    public List<GuestObject> listEntries(long headVa, String containerType, String member, int max) {
        int type = typeId(containerType);
        long offset = GuestObject.memberOffset(this, btf, type, member);
        List<GuestObject> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long node = readLong(headVa);
        while (node != headVa) {
            if (!seen.add(node)) {
                throw new CorruptGuestDataException(String.format("list at 0x%x loops at 0x%x without returning to the head",
                        headVa, node));
            }
            if (out.size() >= max) {
                throw new CorruptGuestDataException(String.format("list at 0x%x has more than %d entries", headVa, max));
            }
            out.add(object(node - offset, type));
            node = readLong(node);
        }
        return out;
    }

    /** Name of the symbol at runtime address {@code va} (e.g. {@code fair_sched_class}), or hex. */
    public String symbolName(long va) {
        return symbols.lookup(va - slide).map(s -> s.offset() == 0 ? s.symbol().name() : s.toString())
                .orElse(String.format("0x%x", va));
    }
}
