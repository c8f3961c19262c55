package dev.jktstr.qemu;

import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest RAM mapped into the JVM: QEMU's per-node memfds ({@link QemuRamFds}) in one shared {@link Arena}, laid out as
 * q35 places them in guest-physical space. RAM below 4 GiB goes up to 2.75 GiB (2 GiB when the guest has at least
 * 2.75 GiB), the rest from 4 GiB; the legacy VGA/BIOS window is a hole (ROM shadows that RAM in the guest's view).
 */
final class GuestRamMapping implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GuestRamMapping.class);
    /** q35 keeps RAM below 4 GiB up to here when the guest has less than 2.75 GiB, else up to 2 GiB. */
    private static final long Q35_LOWMEM_SMALL = 0xB000_0000L;
    private static final long Q35_LOWMEM_LARGE = 0x8000_0000L;
    private static final long FOUR_GIB = 1L << 32;
    private static final long LEGACY_HOLE_START = 0xA_0000L;
    private static final long LEGACY_HOLE_END = 0x10_0000L;

    private final Arena arena;
    private final GuestMemory memory;
    private final List<MemorySegment> nodes;

    private GuestRamMapping(Arena arena, GuestMemory memory, List<MemorySegment> nodes) {
        this.arena = arena;
        this.memory = memory;
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Maps the RAM of the QEMU process {@code pid}, which runs {@code spec}, still stopped ({@code -S}); {@code qmp}
     * reads guest memory as QEMU sees it, to prove which memfd is which node.
     */
    static GuestRamMapping map(long pid, MachineSpec spec, QmpClient qmp) throws IOException {
        long nodeBytes = spec.memoryPerNodeMib() << 20;
        int nodeCount = spec.topology().numaNodes();
        long total = nodeBytes * nodeCount;
        long below = Math.min(total, total >= Q35_LOWMEM_SMALL ? Q35_LOWMEM_LARGE : Q35_LOWMEM_SMALL);
        long above = total - below;
        Arena arena = Arena.ofShared();
        try {
            List<MemorySegment> nodes = QemuRamFds.map(pid, nodeCount, nodeBytes, arena,
                    node -> node * nodeBytes < below ? node * nodeBytes : FOUR_GIB + node * nodeBytes - below,
                    gpa -> readGuestU64(qmp, gpa));
            List<GuestMemory.Mapping> mappings = new ArrayList<>();
            addRam(mappings, nodes, nodeBytes, 0, 0, LEGACY_HOLE_START);
            addRam(mappings, nodes, nodeBytes, LEGACY_HOLE_END, LEGACY_HOLE_END, below - LEGACY_HOLE_END);
            addRam(mappings, nodes, nodeBytes, FOUR_GIB, below, above);
            return new GuestRamMapping(arena, GuestMemory.of(mappings), nodes);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Eight bytes of guest-physical memory as QEMU reads them (HMP {@code xp}), before our mapping is trusted. */
    private static long readGuestU64(QmpClient qmp, long gpa) {
        Object out = qmp.execute("human-monitor-command", Map.of("command-line", "xp /1gx 0x" + Long.toHexString(gpa)),
                QmpClient.COMMAND_TIMEOUT);
        String text = String.valueOf(out).strip();
        int at = text.lastIndexOf("0x");
        if (at < 0) {
            throw new MachineException("QEMU's xp at 0x" + Long.toHexString(gpa) + " said: " + text);
        }
        return Long.parseUnsignedLong(text.substring(at + 2).strip(), 16);
    }

    /** QEMU lays the node backends end to end as one RAM block; split a guest range at node edges. */
    private static void addRam(List<GuestMemory.Mapping> out, List<MemorySegment> nodes, long nodeBytes,
                               long gpa, long ramOffset, long length) {
        while (length > 0) {
            int node = (int) (ramOffset / nodeBytes);
            long inNode = ramOffset % nodeBytes;
            long chunk = Math.min(length, nodeBytes - inNode);
            out.add(new GuestMemory.Mapping(gpa, nodes.get(node).asSlice(inNode, chunk)));
            gpa += chunk;
            ramOffset += chunk;
            length -= chunk;
        }
    }

    GuestMemory memory() {
        return memory;
    }

    /** Each NUMA node's whole backend, in node order (what a snapshot saves and restores: {@link QemuRamImage}). */
    List<MemorySegment> nodes() {
        return nodes;
    }

    /** Unmaps; a reader still inside guest memory keeps it mapped (logged). */
    @Override
    public void close() {
        try {
            arena.close();
        } catch (IllegalStateException e) {
            LOG.warn("guest memory still in use while closing: {}", e.getMessage());
        }
    }
}
