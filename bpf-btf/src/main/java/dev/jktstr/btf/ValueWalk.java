package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One rendering of memory as a value of a BTF type: decides, type by type, what the bytes mean and tells a
 * {@link ValueSink}. Reads are bounds-checked against the data, and nesting and the number of values are
 * capped, so any type and any bytes end in output or a {@link BtfException}.
 */
final class ValueWalk {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_NESTING = 64;

    private final Btf btf;
    private final long maxValues;
    private final MemorySegment data;
    private final ValueSink sink;
    private long values;
    private int depth;

    ValueWalk(Btf btf, long maxValues, MemorySegment data, ValueSink sink) {
        this.btf = btf;
        this.maxValues = maxValues;
        this.data = data;
        this.sink = sink;
    }

    /** The value of type {@code type} at byte {@code off}; a bitfield of {@code bitfield} bits {@code bitOff} bits in. */
    void value(int type, long off, long bitOff, int bitfield) throws IOException {
        depth++;
        try {
            nest();
            int t = btf.resolve(type);
            switch (btf.kindOf(t)) {
                case BTF_KIND_INT -> integer(t, off, bitOff, bitfield);
                case BTF_KIND_ENUM, BTF_KIND_ENUM64 -> enumeration(t, off, bitOff, bitfield);
                case BTF_KIND_PTR -> {
                    count();
                    sink.symbol("0x" + Long.toHexString(readInt(off, btf.pointerSize(), t)));
                }
                case BTF_KIND_FLOAT -> floating(t, off);
                case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                    count();
                    check(off, Integer.toUnsignedLong(btf.sizeOrType(t)), t);
                    sink.beginStruct();
                    members(t, off);
                    sink.endStruct();
                }
                case BTF_KIND_ARRAY -> array(t, off);
                case BTF_KIND_UNKN -> { // void
                    count();
                    sink.voidValue();
                }
                default -> {
                    count();
                    sink.opaque(btf, t);
                }
            }
        } finally {
            depth--;
        }
    }

    private void integer(int t, long off, long bitOff, int bitfield) throws IOException {
        int size = btf.sizeOrType(t);
        int enc = (btf.raw(t, 12) >>> 24) & 0xf;
        int intBits = btf.raw(t, 12) & 0xff;
        int intOff = (btf.raw(t, 12) >>> 16) & 0xff;
        count();
        if (bitfield == 0 && size == 16 && intOff == 0) {
            check(off, 16, t);
            long lo = data.get(LONG, off);
            long hi = data.get(LONG, off + 8);
            sink.symbol(hi == 0 ? "0x" + Long.toHexString(lo) : "0x" + Long.toHexString(hi) + String.format("%016x", lo));
            return;
        }
        if (size > 8 || size <= 0) {
            throw new BtfFormatException("cannot render INT of size " + size + " (type " + t + ")");
        }
        int bits = bitfield != 0 ? bitfield : (intBits != 0 && intBits <= 64 ? intBits : size * 8);
        long v = bitfield != 0 || intOff != 0 || bits != size * 8
                ? readBits(off, bitOff + intOff, bits, t) : readInt(off, size, t);
        if ((enc & BTF_INT_BOOL) != 0 && (v == 0 || v == 1)) {
            sink.bool(v == 1);
        } else if ((enc & BTF_INT_BOOL) != 0) {
            sink.integer(Long.toString(v));
        } else {
            sink.integer(signExtend(v, bits, (enc & BTF_INT_SIGNED) != 0));
        }
    }

    private void enumeration(int t, long off, long bitOff, int bitfield) throws IOException {
        count();
        int size = btf.sizeOrType(t);
        if (size <= 0 || size > 8) {
            throw new BtfFormatException("cannot render enum of size " + size + " (type " + t + ")");
        }
        int bits = bitfield != 0 ? bitfield : size * 8;
        long v = bitfield != 0 ? readBits(off, bitOff, bits, t) : readInt(off, size, t);
        sink.enumerator(enumName(t, v), signExtend(v, bits, btf.kflag(t)));
    }

    private void floating(int t, long off) throws IOException {
        count();
        int size = btf.sizeOrType(t);
        switch (size) {
            case 4 -> {
                float f = Float.intBitsToFloat((int) readInt(off, 4, t));
                finite(Float.toString(f), Float.isFinite(f));
            }
            case 8 -> {
                double d = Double.longBitsToDouble(readInt(off, 8, t));
                finite(Double.toString(d), Double.isFinite(d));
            }
            default -> {
                check(off, size, t);
                sink.symbol("<float" + size * 8 + ">");
            }
        }
    }

    /** NaN and the infinities have no number form in JSON. */
    private void finite(String text, boolean finite) throws IOException {
        if (finite) {
            sink.floating(text);
        } else {
            sink.symbol(text);
        }
    }

    private void array(int t, long off) throws IOException {
        long n = btf.arrayLength(t);
        int elem = btf.arrayType(t);
        long esz = btf.resolveSize(elem);
        if (esz < 0) {
            throw new BtfFormatException("array element type " + elem + " has no size");
        }
        if (n != 0) {
            check(off, esz * n, t);
        }
        if (btf.isCharArray(t)) {
            sink.string(cString(off, n));
            return;
        }
        sink.beginArray();
        for (long i = 0; i < n; i++) {
            count();
            sink.element(i);
            value(elem, off + i * esz, 0, 0);
        }
        sink.endArray();
    }

    /** Members of struct/union {@code t} at {@code off}; anonymous ones in place where the sink wants that. */
    private void members(int t, long off) throws IOException {
        nest();
        int vlen = btf.vlen(t);
        for (int i = 0; i < vlen; i++) {
            int mt = btf.memberType(t, i);
            long mbit = btf.memberBitOffset(t, i);
            int bsz = btf.memberBitfieldSize(t, i);
            String name = btf.str(btf.memberNameOff(t, i));
            if (name.isEmpty() && sink.flattensAnonymousMembers()) {
                count();
                int r = btf.resolve(mt);
                int k = btf.kindOf(r);
                if (bsz == 0 && (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION)) {
                    long moff = off + (mbit >>> 3);
                    check(moff, Integer.toUnsignedLong(btf.sizeOrType(r)), r);
                    depth++;
                    try {
                        members(r, moff);
                    } finally {
                        depth--;
                    }
                    continue;
                }
            }
            sink.member(name);
            if (bsz != 0) {
                value(mt, off, mbit, bsz);
            } else {
                value(mt, off + (mbit >>> 3), 0, 0);
            }
            sink.endMember();
        }
    }

    private void check(long off, long len, int type) {
        if (off < 0 || len < 0 || off > data.byteSize() - len) {
            throw new BtfException("value of " + btf.typeName(type) + " at offset " + off + " needs " + len
                    + " bytes; only " + data.byteSize() + " bytes given");
        }
    }

    private void count() {
        if (++values > maxValues) {
            throw new BtfException("value too large to render (more than " + maxValues + " values)");
        }
    }

    private void nest() {
        if (depth > MAX_NESTING) {
            throw new BtfFormatException("types nest deeper than " + MAX_NESTING + " levels (loop?)");
        }
    }

    /** Unsigned little-endian integer of 1..8 bytes. */
    private long readInt(long off, int size, int type) {
        check(off, size, type);
        return switch (size) {
            case 1 -> Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, off));
            case 2 -> Short.toUnsignedLong(data.get(SHORT, off));
            case 4 -> Integer.toUnsignedLong(data.get(INT, off));
            case 8 -> data.get(LONG, off);
            default -> {
                long v = 0;
                for (int i = size - 1; i >= 0; i--) {
                    v = (v << 8) | Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, off + i));
                }
                yield v;
            }
        };
    }

    /** A bitfield of {@code bits} bits starting {@code bitOff} bits after {@code off}. */
    private long readBits(long off, long bitOff, int bits, int type) {
        long start = off + (bitOff >>> 3);
        int shift = (int) (bitOff & 7);
        int bytes = (shift + bits + 7) >>> 3;
        check(start, bytes, type);
        long v = 0;
        for (int i = bytes - 1; i >= 0; i--) {
            v = (v << 8) | Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, start + i));
        }
        v >>>= shift;
        // a 64-bit field starting mid-byte spans 9 bytes; fetch the top bits separately
        if (bytes > 8) {
            long top = Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, start + 8));
            v |= top << (64 - shift);
        }
        return bits >= 64 ? v : v & ((1L << bits) - 1);
    }

    /** The bytes up to the first NUL (or {@code len}), one char each; each counts as a value. */
    private String cString(long off, long len) {
        StringBuilder sb = new StringBuilder();
        for (long i = 0; i < len; i++) {
            int c = Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, off + i));
            if (c == 0) {
                break;
            }
            count();
            sb.append((char) c);
        }
        return sb.toString();
    }

    private String enumName(int e, long v) {
        int vlen = btf.vlen(e);
        long size = Integer.toUnsignedLong(btf.sizeOrType(e));
        for (int i = 0; i < vlen; i++) {
            long ev = btf.enumValue(e, i);
            if (size < 8) {
                ev &= (1L << (size * 8)) - 1;
            }
            if (ev == v) {
                return btf.str(btf.enumNameOff(e, i));
            }
        }
        return null;
    }

    private static String signExtend(long v, int bits, boolean signed) {
        if (!signed) {
            return Long.toUnsignedString(bits >= 64 ? v : v & ((1L << bits) - 1));
        }
        return Long.toString(bits >= 64 ? v : (v << (64 - bits)) >> (64 - bits));
    }
}
