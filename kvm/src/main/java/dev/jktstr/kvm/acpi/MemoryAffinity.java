package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.X86Layout;
import java.util.ArrayList;
import java.util.List;

/** A guest-physical RAM range and the NUMA node (SRAT proximity domain) it belongs to. */
public record MemoryAffinity(long base, long length, int node) {

    public MemoryAffinity {
        if (base < 0 || length <= 0 || node < 0) {
            throw new TopologyEncodingException("memory range base " + base + " length " + length + " node " + node
                    + ": base and node must be non-negative, length positive");
        }
    }

    public long end() {
        return base + length;
    }

    /**
     * RAM of {@code nodes} nodes, {@code bytesPerNode} each, laid out from address 0 in node order and
     * skipping the 32-bit MMIO hole ({@link X86Layout#MMIO_HOLE_START} to 4 GiB): a node that
     * straddles the hole gets two ranges.
     */
    public static List<MemoryAffinity> contiguous(int nodes, long bytesPerNode) {
        List<MemoryAffinity> ranges = new ArrayList<>();
        long address = 0;
        for (int node = 0; node < nodes; node++) {
            long left = bytesPerNode;
            while (left > 0) {
                if (address == X86Layout.MMIO_HOLE_START) {
                    address = X86Layout.MMIO_HOLE_END;
                }
                long chunk = address < X86Layout.MMIO_HOLE_START
                        ? Math.min(left, X86Layout.MMIO_HOLE_START - address) : left;
                ranges.add(new MemoryAffinity(address, chunk, node));
                address += chunk;
                left -= chunk;
            }
        }
        return List.copyOf(ranges);
    }
}
