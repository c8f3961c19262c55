package dev.jktstr.kvm;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.nativeio.Mmap;
import dev.jktstr.nativeio.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM: one anonymous mapping per memory slot, laid out from guest-physical 0 node after node,
 * each node's RAM split around the 32-bit MMIO hole ({@link X86Layout#MMIO_HOLE_START} to 4 GiB).
 * Optionally advised as transparent huge pages. Closing unmaps everything.
 */
public final class GuestRam implements AutoCloseable {

    /** One slot: a guest-physical range, the NUMA node it belongs to, and its host mapping. */
    public record Region(int slot, int node, long gpa, Mmap mapping) {
        public long size() {
            return mapping.length();
        }
    }

    private final List<Region> regions;
    private final GuestMemory view;

    private GuestRam(List<Region> regions) {
        this.regions = List.copyOf(regions);
        this.view = GuestMemory.of(regions.stream()
                .map(r -> new GuestMemory.Mapping(r.gpa(), r.mapping().segment())).toList());
    }

    /**
     * Maps {@code bytesPerNode.get(n)} bytes for each node n and registers them with {@code vm}.
     *
     * @param hugePages advise MADV_HUGEPAGE (transparent huge pages; no hugetlbfs reservation needed)
     */
    public static GuestRam allocate(VmFd vm, List<Long> bytesPerNode, boolean hugePages) {
        List<Region> regions = new ArrayList<>();
        try {
            for (Span span : layout(bytesPerNode)) {
                Mmap m;
                try {
                    m = Mmap.anonymous(span.size(), LibcH.PROT_READ | LibcH.PROT_WRITE, LibcH.MAP_PRIVATE | LibcH.MAP_NORESERVE);
                } catch (NativeException e) {
                    throw new KvmCallException("mapping " + (span.size() >> 20) + " MiB of guest RAM for node " + span.node(), e);
                }
                regions.add(new Region(regions.size(), span.node(), span.gpa(), m));
                if (hugePages) {
                    adviseHugePages(m.segment());
                }
                vm.setMemoryRegion(regions.size() - 1, span.gpa(), m.segment());
            }
            return new GuestRam(regions);
        } catch (RuntimeException e) {
            regions.forEach(r -> r.mapping().close());
            throw e;
        }
    }

    /** Where one region goes, before it is mapped. */
    record Span(int node, long gpa, long size) {}

    /**
     * The regions {@code bytesPerNode} becomes: node after node from guest-physical 0, a node's RAM split where it
     * meets the MMIO hole. Also what a snapshot's RAM sections are checked against.
     */
    static List<Span> layout(List<Long> bytesPerNode) {
        List<Span> spans = new ArrayList<>();
        long gpa = 0;
        for (int node = 0; node < bytesPerNode.size(); node++) {
            long left = bytesPerNode.get(node);
            if (left <= 0 || left % 4096 != 0) {
                throw new KvmException("node " + node + " RAM must be a positive multiple of 4 KiB, got " + left);
            }
            while (left > 0) {
                if (gpa >= X86Layout.MMIO_HOLE_START && gpa < X86Layout.MMIO_HOLE_END) {
                    gpa = X86Layout.MMIO_HOLE_END;
                }
                long size = gpa < X86Layout.MMIO_HOLE_START ? Math.min(left, X86Layout.MMIO_HOLE_START - gpa) : left;
                spans.add(new Span(node, gpa, size));
                gpa += size;
                left -= size;
            }
        }
        return spans;
    }

    private static void adviseHugePages(MemorySegment segment) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) LibcH.madvise$mh.invokeExact(arena.allocate(Linker.Option.captureStateLayout()), segment,
                    segment.byteSize(), LibcH.MADV_HUGEPAGE);
            if (rc != 0) {
                org.slf4j.LoggerFactory.getLogger(GuestRam.class).debug("MADV_HUGEPAGE refused; using small pages");
            }
        } catch (Throwable t) {
            throw new KvmException("madvise failed", t);
        }
    }

    public List<Region> regions() {
        return regions;
    }

    /** The bounds-checked view the Machine SPI hands out. */
    public GuestMemory memory() {
        return view;
    }

    /** Copies {@code bytes} to guest-physical {@code gpa}. */
    public void write(long gpa, byte[] bytes) {
        view.writeBytes(gpa, bytes);
    }

    @Override
    public void close() {
        regions.forEach(r -> r.mapping().close());
    }
}
