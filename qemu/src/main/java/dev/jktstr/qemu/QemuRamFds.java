package dev.jktstr.qemu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;

/**
 * Guest RAM of a QEMU process, shared with the JVM without a name in any file system. QEMU creates one
 * {@code memory-backend-memfd} per NUMA node (an anonymous memfd, never a path QEMU opens: nothing for another user
 * to open, plant a symlink at or find after a SIGKILL); the JVM opens each through {@code /proc/<qemu pid>/fd/N},
 * which only processes that may ptrace QEMU can, and maps it.
 *
 * <p>Every backend's memfd has the same name, so which descriptor is which node is proven rather than assumed: with
 * the guest still stopped ({@code -S}), a random marker is written at the start of each mapping and read back through
 * QEMU at each node's first guest-physical address.
 */
final class QemuRamFds {

    /** How Linux names the memfds QEMU's memory-backend-memfd creates ({@code memfd_create("memory-backend-memfd")}). */
    static final String MEMFD_LINK = "/memfd:memory-backend-memfd";

    private QemuRamFds() {
    }

    /** The descriptors of QEMU's RAM memfds, lowest first. */
    static List<Integer> find(long pid) throws IOException {
        TreeMap<Integer, Path> found = new TreeMap<>();
        Path fds = Path.of("/proc", Long.toString(pid), "fd");
        try (Stream<Path> s = Files.list(fds)) {
            for (Path fd : s.toList()) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (target.toString().startsWith(MEMFD_LINK)) {
                    found.put(Integer.parseInt(fd.getFileName().toString()), target);
                }
            }
        }
        return List.copyOf(found.keySet());
    }

    /**
     * Maps QEMU's {@code nodes} RAM memfds of {@code nodeBytes} each, in node order.
     *
     * @param nodeStartGpa   node index → the guest-physical address of that node's first byte
     * @param readGuestU64   guest-physical address → the 8 bytes there as QEMU reads them (little-endian)
     */
    static List<MemorySegment> map(long pid, int nodes, long nodeBytes, Arena arena, LongUnaryOperator nodeStartGpa,
                                   LongUnaryOperator readGuestU64) throws IOException {
        List<Integer> fds = find(pid);
        if (fds.size() != nodes) {
            throw new IOException("QEMU (pid " + pid + ") has " + fds.size() + " RAM memfds (" + MEMFD_LINK + "), expected "
                    + nodes);
        }
        List<MemorySegment> mapped = new ArrayList<>();
        for (int fd : fds) {
            Path link = Path.of("/proc", Long.toString(pid), "fd", Integer.toString(fd));
            try (FileChannel fc = FileChannel.open(link, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                if (fc.size() != nodeBytes) {
                    throw new IOException("QEMU's RAM memfd " + link + " is " + fc.size() + " bytes, expected " + nodeBytes);
                }
                mapped.add(fc.map(FileChannel.MapMode.READ_WRITE, 0, nodeBytes, arena));
            }
        }
        return nodes == 1 ? mapped : inNodeOrder(mapped, nodeStartGpa, readGuestU64);
    }

    private static List<MemorySegment> inNodeOrder(List<MemorySegment> mapped, LongUnaryOperator nodeStartGpa,
                                                   LongUnaryOperator readGuestU64) throws IOException {
        ValueLayout.OfLong u64 = ValueLayout.JAVA_LONG_UNALIGNED;
        long[] saved = new long[mapped.size()];
        long[] markers = new long[mapped.size()];
        long base = ThreadLocalRandom.current().nextLong() & ~0xffffL;
        for (int i = 0; i < mapped.size(); i++) {
            saved[i] = mapped.get(i).get(u64, 0);
            markers[i] = base | i;
            mapped.get(i).set(u64, 0, markers[i]);
        }
        try {
            List<MemorySegment> ordered = new ArrayList<>();
            for (int node = 0; node < mapped.size(); node++) {
                long seen = readGuestU64.applyAsLong(nodeStartGpa.applyAsLong(node));
                int index = (int) (seen & 0xffff);
                if ((seen & ~0xffffL) != base || index >= mapped.size() || ordered.contains(mapped.get(index))) {
                    throw new IOException("cannot tell which RAM memfd is node " + node + ": QEMU shows 0x"
                            + Long.toHexString(seen) + " at its start");
                }
                ordered.add(mapped.get(index));
            }
            return List.copyOf(ordered);
        } finally {
            for (int i = 0; i < mapped.size(); i++) {
                mapped.get(i).set(u64, 0, saved[i]);
            }
        }
    }
}
