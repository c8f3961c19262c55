package dev.jktstr.qemu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.List;

/**
 * Guest RAM in a snapshot file, after QEMU's device stream: the non-zero 4 KiB pages of every node packed in order, a
 * bitmap of which pages they are, and a fixed trailer at the very end. The JVM writes it from its own mapping of the
 * memfds while the guest is stopped, and on restore copies it into the fresh memfds before QEMU loads the devices.
 * QEMU itself skips the shared RAM ({@code x-ignore-shared}), so its stream holds only devices and ROMs.
 *
 * <p>Why not let migration carry RAM: loading ~100 MiB of RAM pages through QEMU's stream took ~1 s here, page by page
 * through a pipe; copying the same pages from the page cache into the memfds is a memcpy (see benchmarks/README.md).
 *
 * <p>The file is our own cache, but it is still checked before anything is copied: the trailer's magic, version,
 * layout against the spec's node count and size, every offset within the file, and the bitmap's page count against the
 * packed pages. A file that fails any check is refused with the reason ({@link IOException}).
 */
final class QemuRamImage {

    static final int PAGE = 4096;
    static final long MAGIC = 0x314d_4152_5354_4b4aL; // "JKTSRAM1", little-endian
    static final int VERSION = 1;
    static final int TRAILER_BYTES = 80;

    /** Where the parts lie: {@code [0, devicesLength)} is QEMU's stream, then pages, bitmap, trailer. */
    record Layout(long devicesLength, long pagesOffset, long pageCount, long bitmapOffset, long bitmapBytes,
                  int nodes, long nodeBytes) {}

    private QemuRamImage() {
    }

    /** Appends {@code nodes}' non-zero pages, the bitmap and the trailer to {@code file} (QEMU's stream so far). */
    static void append(Path file, List<MemorySegment> nodes) throws IOException {
        long nodeBytes = nodes.getFirst().byteSize();
        long pagesPerNode = nodeBytes / PAGE;
        MemorySegment zero = Arena.global().allocate(PAGE, PAGE); // zero-filled, shared by every call
        BitSet present = new BitSet((int) (pagesPerNode * nodes.size()));
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            long devicesLength = out.size();
            long pageCount = 0;
            for (int n = 0; n < nodes.size(); n++) {
                MemorySegment node = nodes.get(n);
                long runStart = -1;
                for (long p = 0; p <= pagesPerNode; p++) {
                    boolean nonZero = p < pagesPerNode
                            && MemorySegment.mismatch(node, p * PAGE, (p + 1) * PAGE, zero, 0, PAGE) >= 0;
                    if (nonZero) {
                        present.set((int) (n * pagesPerNode + p));
                        pageCount++;
                        if (runStart < 0) {
                            runStart = p;
                        }
                    } else if (runStart >= 0) {
                        writeFully(out, node.asSlice(runStart * PAGE, (p - runStart) * PAGE).asByteBuffer());
                        runStart = -1;
                    }
                }
            }
            long bitmapOffset = devicesLength + pageCount * PAGE;
            byte[] bitmap = new byte[(int) ((pagesPerNode * nodes.size() + 7) / 8)];
            byte[] set = present.toByteArray();
            System.arraycopy(set, 0, bitmap, 0, set.length);
            writeFully(out, ByteBuffer.wrap(bitmap));
            ByteBuffer t = ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            t.putLong(MAGIC).putInt(VERSION).putInt(PAGE).putInt(nodes.size()).putInt(0).putLong(nodeBytes)
                    .putLong(devicesLength).putLong(devicesLength).putLong(pageCount).putLong(bitmapOffset)
                    .putLong(bitmap.length);
            t.position(0);
            writeFully(out, t);
        }
    }

    /** Reads and checks the trailer of {@code file} for a guest of {@code nodes} nodes of {@code nodeBytes} each. */
    static Layout layout(Path file, int nodes, long nodeBytes) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (size < TRAILER_BYTES) {
                throw new IOException("snapshot " + file + " is " + size + " bytes: too short for its RAM trailer");
            }
            ByteBuffer t = ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, t, size - TRAILER_BYTES);
            t.flip();
            if (t.getLong() != MAGIC || t.getInt() != VERSION || t.getInt() != PAGE) {
                throw new IOException("snapshot " + file + " has no jktstr RAM trailer of version " + VERSION);
            }
            int n = t.getInt();
            t.getInt();
            long nb = t.getLong();
            Layout l = new Layout(t.getLong(), t.getLong(), t.getLong(), t.getLong(), t.getLong(), n, nb);
            long totalPages = nodeBytes / PAGE * nodes;
            boolean ok = n == nodes && nb == nodeBytes && l.devicesLength() > 0 && l.pagesOffset() == l.devicesLength()
                    && l.pageCount() >= 0 && l.pageCount() <= totalPages
                    && l.bitmapOffset() == l.pagesOffset() + l.pageCount() * PAGE
                    && l.bitmapBytes() == (totalPages + 7) / 8
                    && l.bitmapOffset() + l.bitmapBytes() + TRAILER_BYTES == size;
            if (!ok) {
                throw new IOException("snapshot " + file + ": its RAM layout (" + n + " nodes of " + nb + " bytes, "
                        + l + ") does not fit a guest of " + nodes + " nodes of " + nodeBytes + " bytes in " + size
                        + " bytes");
            }
            return l;
        }
    }

    /** Copies the saved pages into {@code nodes} (fresh, zero memfds) after checking the bitmap against the layout. */
    static void restore(Path file, Layout l, List<MemorySegment> nodes) throws IOException {
        long pagesPerNode = l.nodeBytes() / PAGE;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            ByteBuffer bits = ByteBuffer.allocate((int) l.bitmapBytes());
            readFully(in, bits, l.bitmapOffset());
            BitSet present = BitSet.valueOf(bits.flip());
            if (present.cardinality() != l.pageCount() || present.length() > pagesPerNode * l.nodes()) {
                throw new IOException("snapshot " + file + ": its RAM bitmap names " + present.cardinality()
                        + " pages, the file holds " + l.pageCount());
            }
            if (l.pageCount() == 0) {
                return;
            }
            MemorySegment pages = in.map(FileChannel.MapMode.READ_ONLY, l.pagesOffset(), l.pageCount() * PAGE, arena);
            long src = 0;
            // copy runs of consecutive pages within a node in one go
            for (int p = present.nextSetBit(0); p >= 0; ) {
                int end = present.nextClearBit(p);
                long node = p / pagesPerNode;
                long lastInNode = (node + 1) * pagesPerNode;
                int runEnd = (int) Math.min(end, lastInNode);
                long bytes = (long) (runEnd - p) * PAGE;
                MemorySegment.copy(pages, src, nodes.get((int) node), (p - node * pagesPerNode) * PAGE, bytes);
                src += bytes;
                p = runEnd < end ? runEnd : present.nextSetBit(end);
            }
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static void readFully(FileChannel in, ByteBuffer b, long position) throws IOException {
        long at = position;
        while (b.hasRemaining()) {
            int n = in.read(b, at);
            if (n < 0) {
                throw new IOException("unexpected end of the snapshot file");
            }
            at += n;
        }
    }

}
