package dev.jktstr.btf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The string section of BTF: NUL-terminated UTF-8 names addressed by byte offset. For split BTF the
 * offsets continue the base's, and an offset below {@link #firstOffset} reads the base's strings.
 * Strings are compared and hashed in place; only {@link #strOrNull} decodes.
 */
final class BtfStrings {

    private final MemorySegment data;
    private final long start;
    private final long length;
    /** Offsets below this refer to the base's strings (split BTF); 0 without a base. */
    private final long firstOffset;
    private final BtfStrings base;

    /** The {@code length} bytes at {@code start} of {@code data}, on top of {@code base}'s (or null). */
    BtfStrings(MemorySegment data, long start, long length, BtfStrings base) {
        this.data = data;
        this.start = start;
        this.length = length;
        this.base = base;
        this.firstOffset = base == null ? 0 : base.firstOffset + base.length;
    }

    /** The first offset these strings define (the base's end for split BTF). */
    long firstOffset() {
        return firstOffset;
    }

    /** The strings that hold {@code off} (this or a base), with {@code off} made relative to them. */
    private BtfStrings holder(long off) {
        BtfStrings b = this;
        while (off < b.firstOffset) {
            b = b.base;
        }
        return b;
    }

    /** The string at {@code off}, or null if {@code off} is outside the section or unterminated. */
    String strOrNull(int off) {
        long o = Integer.toUnsignedLong(off);
        BtfStrings b = holder(o);
        o -= b.firstOffset;
        if (o >= b.length) {
            return null;
        }
        long from = b.start + o;
        long limit = b.start + b.length;
        long e = from;
        MemorySegment d = b.data;
        while (e < limit && d.get(ValueLayout.JAVA_BYTE, e) != 0) {
            e++;
        }
        if (e == limit) {
            return null;
        }
        if (e == from) {
            return "";
        }
        byte[] bytes = new byte[(int) (e - from)];
        MemorySegment.copy(d, ValueLayout.JAVA_BYTE, from, bytes, 0, bytes.length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The string at {@code off}; throws on an offset outside the string section. */
    String str(int off) {
        String s = strOrNull(off);
        if (s == null) {
            throw new BtfFormatException("invalid BTF string offset " + Integer.toUnsignedString(off));
        }
        return s;
    }

    /** Whether the NUL-terminated string at {@code off} equals {@code q} (UTF-8), without decoding it. */
    boolean equals(int off, byte[] q) {
        long o = Integer.toUnsignedLong(off);
        BtfStrings b = holder(o);
        o -= b.firstOffset;
        if (o + q.length >= b.length) {
            return false;
        }
        long from = b.start + o;
        MemorySegment d = b.data;
        for (int i = 0; i < q.length; i++) {
            if (d.get(ValueLayout.JAVA_BYTE, from + i) != q[i]) {
                return false;
            }
        }
        return d.get(ValueLayout.JAVA_BYTE, from + q.length) == 0;
    }

    /** {@link #hash(byte[])} of the string at {@code off} read in place; 0 for an offset outside. */
    int hash(int off) {
        long o = Integer.toUnsignedLong(off);
        BtfStrings b = holder(o);
        o -= b.firstOffset;
        if (o >= b.length) {
            return 0;
        }
        long p = b.start + o;
        long limit = b.start + b.length;
        MemorySegment d = b.data;
        int h = 0x811c9dc5;
        byte c;
        while (p < limit && (c = d.get(ValueLayout.JAVA_BYTE, p)) != 0) {
            h = (h ^ (c & 0xff)) * 0x01000193;
            p++;
        }
        return h;
    }

    /** 32-bit FNV-1a of a name's UTF-8 bytes. */
    static int hash(byte[] q) {
        int h = 0x811c9dc5;
        for (byte c : q) {
            h = (h ^ (c & 0xff)) * 0x01000193;
        }
        return h;
    }
}
