package dev.jktstr.machine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Guest-physical memory seen from the host: RAM ranges, each backed by a {@link MemorySegment}
 * the backend mapped shared with the guest, and the holes between them. Every access is
 * bounds-checked against the RAM ranges and throws {@link GuestMemoryException} outside them; an
 * access may span ranges only where they are contiguous. Reads are racy while vCPUs run: pause the
 * machine for a consistent view. Little-endian, as on x86.
 */
public final class GuestMemory {

    /** A guest-physical range {@code [start, start + size)}. */
    public record Range(long start, long size) {
        public Range {
            if (start < 0 || size < 0) {
                throw new IllegalArgumentException("negative range " + start + "+" + size);
            }
        }

        public long end() {
            return start + size;
        }

        public boolean contains(long gpa) {
            return gpa >= start && gpa < end();
        }

        @Override
        public String toString() {
            return String.format("[0x%x-0x%x)", start, end());
        }
    }

    /** One RAM range and the host segment backing it (segment size = range size). */
    public record Mapping(long gpa, MemorySegment segment) {
        public Range range() {
            return new Range(gpa, segment.byteSize());
        }
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final List<Mapping> mappings;
    private final List<Range> ranges;
    private final List<Range> holes;

    private GuestMemory(List<Mapping> sorted) {
        this.mappings = sorted;
        this.ranges = sorted.stream().map(Mapping::range).toList();
        List<Range> gaps = new ArrayList<>();
        long cursor = 0;
        for (Range r : ranges) {
            if (r.start() > cursor) {
                gaps.add(new Range(cursor, r.start() - cursor));
            }
            cursor = r.end();
        }
        this.holes = List.copyOf(gaps);
    }

    /** Builds the view from non-overlapping mappings, in any order. */
    public static GuestMemory of(List<Mapping> mappings) {
        List<Mapping> sorted = new ArrayList<>(mappings);
        sorted.removeIf(m -> m.segment().byteSize() == 0);
        sorted.sort(Comparator.comparingLong(Mapping::gpa));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).gpa() < sorted.get(i - 1).range().end()) {
                throw new IllegalArgumentException("overlapping guest memory mappings " + sorted.get(i - 1).range()
                        + " and " + sorted.get(i).range());
            }
        }
        return new GuestMemory(List.copyOf(sorted));
    }

    /** RAM ranges in ascending guest-physical order. */
    public List<Range> ramRanges() {
        return ranges;
    }

    /** The gaps below the highest RAM address that are not RAM (legacy VGA/ROM, the PCI hole). */
    public List<Range> holes() {
        return holes;
    }

    /** Total bytes of RAM. */
    public long ramSize() {
        return ranges.stream().mapToLong(Range::size).sum();
    }

    public boolean isRam(long gpa, long length) {
        try {
            checkSpan(gpa, length);
            return true;
        } catch (GuestMemoryException e) {
            return false;
        }
    }

    /**
     * A live view of {@code [gpa, gpa + length)}; it must lie inside one backing mapping. The view
     * stays valid until the machine closes.
     */
    public MemorySegment segment(long gpa, long length) {
        if (length < 0) {
            throw new GuestMemoryException(gpa, length, "has a negative length");
        }
        Mapping m = mappingOf(gpa, length);
        long offset = gpa - m.gpa();
        if (length > m.segment().byteSize() - offset) {
            throw new GuestMemoryException(gpa, length, "crosses the end of RAM range " + m.range()
                    + (isRam(gpa, length) ? " into another backing region; read it in parts" : ""));
        }
        return m.segment().asSlice(offset, length);
    }

    public byte[] readBytes(long gpa, int length) {
        checkSpan(gpa, length); // before allocating: a bad length costs nothing
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long at = gpa + done;
            Mapping m = mappingOf(at, 1);
            long offset = at - m.gpa();
            int chunk = (int) Math.min(length - done, m.segment().byteSize() - offset);
            MemorySegment.copy(m.segment(), ValueLayout.JAVA_BYTE, offset, out, done, chunk);
            done += chunk;
        }
        return out;
    }

    public void writeBytes(long gpa, byte[] data) {
        checkSpan(gpa, data.length);
        int done = 0;
        while (done < data.length) {
            long at = gpa + done;
            Mapping m = mappingOf(at, 1);
            long offset = at - m.gpa();
            int chunk = (int) Math.min(data.length - done, m.segment().byteSize() - offset);
            MemorySegment.copy(data, done, m.segment(), ValueLayout.JAVA_BYTE, offset, chunk);
            done += chunk;
        }
    }

    public byte readByte(long gpa) {
        return readBytes(gpa, 1)[0];
    }

    public short readShort(long gpa) {
        return java.nio.ByteBuffer.wrap(readBytes(gpa, 2)).order(ByteOrder.LITTLE_ENDIAN).getShort();
    }

    public int readInt(long gpa) {
        Mapping m = fastPath(gpa, 4);
        return m != null ? m.segment().get(INT, gpa - m.gpa())
                : java.nio.ByteBuffer.wrap(readBytes(gpa, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    public long readLong(long gpa) {
        Mapping m = fastPath(gpa, 8);
        return m != null ? m.segment().get(LONG, gpa - m.gpa())
                : java.nio.ByteBuffer.wrap(readBytes(gpa, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    public void writeLong(long gpa, long value) {
        writeBytes(gpa, java.nio.ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    /** A NUL-terminated string of at most {@code maxLength} bytes, decoded as UTF-8 (lenient). */
    public String readCString(long gpa, int maxLength) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < maxLength; i++) {
            byte b = readByte(gpa + i);
            if (b == 0) {
                break;
            }
            bytes.write(b);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private Mapping fastPath(long gpa, int length) {
        for (Mapping m : mappings) {
            long offset = gpa - m.gpa();
            if (offset >= 0 && offset <= m.segment().byteSize() - length) {
                return m;
            }
        }
        return null;
    }

    private Mapping mappingOf(long gpa, long length) {
        for (Mapping m : mappings) {
            if (m.range().contains(gpa)) {
                return m;
            }
        }
        throw new GuestMemoryException(gpa, length, "is outside guest RAM " + ranges);
    }

    private void checkSpan(long gpa, long length) {
        if (length < 0) {
            throw new GuestMemoryException(gpa, length, "has a negative length");
        }
        if (gpa < 0 || gpa > Long.MAX_VALUE - length) {
            throw new GuestMemoryException(gpa, length, "overflows the physical address space");
        }
        long at = gpa;
        long end = gpa + length;
        if (length == 0) {
            mappingOf(gpa, 0);
            return;
        }
        while (at < end) {
            Mapping m = mappingOf(at, length);
            at = m.range().end();
        }
    }
}
