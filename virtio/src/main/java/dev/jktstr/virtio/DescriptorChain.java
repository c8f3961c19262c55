package dev.jktstr.virtio;

import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.GuestMemoryException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One buffer the driver made available: the head index and the validated list of guest-physical
 * segments it names, device-readable ones first, device-writable ones after. The descriptors were
 * read once from guest memory and checked (inside RAM, readable before writable), so later changes
 * by the guest to its descriptor table cannot change what the device touches. Data is accessed
 * through {@link GuestMemory} segments only, so nothing outside guest RAM is ever reachable.
 */
final class DescriptorChain {

    /** Receives the guest memory of a byte range, one piece per backing mapping, in order. */
    @FunctionalInterface
    interface PieceVisitor {
        void accept(MemorySegment piece) throws IOException;
    }

    final Virtqueue queue;
    final int head;
    private long[] addresses = new long[8];
    private long[] lengths = new long[8];
    private int count;
    private int firstWritable = -1;
    private long readable;
    private long writable;

    DescriptorChain(Virtqueue queue, int head) {
        this.queue = queue;
        this.head = head;
    }

    /** Appends a validated segment; zero-length segments carry nothing and are dropped. */
    void add(long address, long length, boolean deviceWritable) {
        if (deviceWritable) {
            if (firstWritable < 0) {
                firstWritable = count;
            }
        } else if (firstWritable >= 0) {
            throw queue.violation("device-readable descriptor after a device-writable one in the chain at head %d",
                    head);
        }
        if (length == 0) {
            return;
        }
        if (count == addresses.length) {
            addresses = Arrays.copyOf(addresses, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
        }
        addresses[count] = address;
        lengths[count] = length;
        count++;
        if (deviceWritable) {
            writable += length;
        } else {
            readable += length;
        }
    }

    /** Total bytes in the device-readable part. */
    long readableLength() {
        return readable;
    }

    /** Total bytes in the device-writable part. */
    long writableLength() {
        return writable;
    }

    int segmentCount() {
        return count;
    }

    /**
     * Visits {@code [offset, offset + length)} of the readable ({@code writablePart == false}) or
     * writable part. The range must lie inside that part.
     */
    void visit(boolean writablePart, long offset, long length, PieceVisitor visitor) throws IOException {
        long partLength = writablePart ? writable : readable;
        if (offset < 0 || length < 0 || offset > partLength || length > partLength - offset) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside a part of " + partLength);
        }
        int writableStart = firstWritable < 0 ? count : indexOfFirstWritableSegment();
        int from = writablePart ? writableStart : 0;
        int to = writablePart ? count : writableStart;
        long skip = offset;
        long left = length;
        GuestMemory memory = queue.memory;
        for (int i = from; i < to && left > 0; i++) {
            long segLength = lengths[i];
            if (skip >= segLength) {
                skip -= segLength;
                continue;
            }
            long gpa = addresses[i] + skip;
            long take = Math.min(segLength - skip, left);
            skip = 0;
            left -= take;
            while (take > 0) {
                long chunk = Math.min(take, bytesInMapping(memory, gpa));
                MemorySegment piece;
                try {
                    piece = memory.segment(gpa, chunk);
                } catch (GuestMemoryException e) {
                    throw queue.violation("%s", e.getMessage());
                }
                visitor.accept(piece);
                gpa += chunk;
                take -= chunk;
            }
        }
    }

    /** Copies {@code length} readable bytes from {@code offset} into a new array. */
    byte[] read(long offset, int length) {
        byte[] out = new byte[length];
        int[] at = {0};
        try {
            visit(false, offset, length, piece -> {
                int n = (int) piece.byteSize();
                MemorySegment.copy(piece, ValueLayout.JAVA_BYTE, 0, out, at[0], n);
                at[0] += n;
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Copies {@code data} into the writable part at {@code offset}. */
    void write(long offset, byte[] data) {
        int[] at = {0};
        try {
            visit(true, offset, data.length, piece -> {
                int n = (int) piece.byteSize();
                MemorySegment.copy(data, at[0], piece, ValueLayout.JAVA_BYTE, 0, n);
                at[0] += n;
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private int indexOfFirstWritableSegment() {
        // firstWritable is where the first writable descriptor would have gone; zero-length ones
        // were dropped, so it is also the index of the first stored writable segment (or count).
        return Math.min(firstWritable, count);
    }

    /** Bytes from {@code gpa} to the end of the RAM range (= backing mapping) holding it. */
    private static long bytesInMapping(GuestMemory memory, long gpa) {
        for (GuestMemory.Range r : memory.ramRanges()) {
            if (r.contains(gpa)) {
                return r.end() - gpa;
            }
        }
        return 1; // not RAM: let segment() report it
    }

    @Override
    public String toString() {
        return "chain head " + head + ": " + readable + " readable, " + writable + " writable bytes in " + count
                + " segments";
    }
}
