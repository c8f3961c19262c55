package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;

/**
 * Renders memory as a typed value of a BTF type, to C-like text or to JSON: structs and unions by
 * member (members of anonymous structs/unions appear in place, as C reads them), arrays, enums by
 * enumerator name, bitfields, pointers as hex addresses, {@code char} arrays as strings.
 *
 * <p>Memory is little-endian (x86 guests). Reads are bounds-checked against the segment given, and the
 * number of values rendered is capped, so any type and any bytes end in text or a {@link BtfException}.
 */
public final class BtfValueRenderer {
    private static final JsonFactory JSON = new JsonFactory();
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_NESTING = 64;

    private final Btf btf;
    private final long maxValues;

    BtfValueRenderer(Btf btf) {
        this(btf, 1 << 20);
    }

    private BtfValueRenderer(Btf btf, long maxValues) {
        this.btf = btf;
        this.maxValues = maxValues;
    }

    /** A renderer that gives up (with {@link BtfException}) after {@code maxValues} scalar values. */
    public BtfValueRenderer withMaxValues(long maxValues) {
        return new BtfValueRenderer(btf, maxValues);
    }

    /** Renders {@code data} (starting at offset 0) as a value of type {@code typeId}, as C-like text. */
    public String render(int typeId, MemorySegment data) {
        StringBuilder sb = new StringBuilder();
        new Walk(data).text(typeId, 0, 0, 0, sb, 0);
        return sb.toString();
    }

    /** Renders {@code data} as a value of type {@code typeId} to a JSON string. */
    public String renderJson(int typeId, MemorySegment data) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            renderJson(typeId, data, g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Writes {@code data} as a value of type {@code typeId} as one JSON value to {@code gen}. */
    public void renderJson(int typeId, MemorySegment data, JsonGenerator gen) throws IOException {
        new Walk(data).json(typeId, 0, 0, 0, gen, 0);
    }

    /** One rendering: the data, and a budget. */
    private final class Walk {
        private final MemorySegment data;
        private long values;

        Walk(MemorySegment data) {
            this.data = data;
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

        private int depth;

        private void nest(int ignored) {
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

        private boolean isCharArray(int arr) {
            int elem = btf.skipModifiers(btf.arrayType(arr));
            if (btf.kindOf(elem) != BTF_KIND_INT || btf.sizeOrType(elem) != 1) {
                return false;
            }
            int enc = (btf.raw(elem, 12) >>> 24) & 0xf;
            String name = btf.strOrNull(btf.nameOff(elem));
            return (enc & 2) != 0 || "char".equals(name) || "signed char".equals(name) || "unsigned char".equals(name);
        }

        private String cString(long off, long len) {
            StringBuilder sb = new StringBuilder();
            for (long i = 0; i < len; i++) {
                int c = Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, off + i));
                if (c == 0) {
                    break;
                }
                count();
                if (c == '"' || c == '\\') {
                    sb.append('\\').append((char) c);
                } else if (c >= 0x20 && c < 0x7f) {
                    sb.append((char) c);
                } else {
                    sb.append(String.format("\\x%02x", c));
                }
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

        /** Text of a scalar (int, enum, ptr, float, bitfield); null if the type is not a scalar. */
        private String scalar(int t, long off, long bitOff, int bitfield) {
            int kind = btf.kindOf(t);
            switch (kind) {
                case BTF_KIND_INT -> {
                    int size = btf.sizeOrType(t);
                    int enc = (btf.raw(t, 12) >>> 24) & 0xf;
                    int intBits = btf.raw(t, 12) & 0xff;
                    int intOff = (btf.raw(t, 12) >>> 16) & 0xff;
                    count();
                    if (bitfield == 0 && size == 16 && intOff == 0) {
                        check(off, 16, t);
                        long lo = data.get(LONG, off);
                        long hi = data.get(LONG, off + 8);
                        return hi == 0 ? "0x" + Long.toHexString(lo)
                                : "0x" + Long.toHexString(hi) + String.format("%016x", lo);
                    }
                    if (size > 8 || size <= 0) {
                        throw new BtfFormatException("cannot render INT of size " + size + " (type " + t + ")");
                    }
                    int bits = bitfield != 0 ? bitfield : (intBits != 0 && intBits <= 64 ? intBits : size * 8);
                    long v = bitfield != 0 || intOff != 0 || bits != size * 8
                            ? readBits(off, bitOff + intOff, bits, t) : readInt(off, size, t);
                    if ((enc & 4) != 0) {
                        return v == 0 ? "false" : v == 1 ? "true" : Long.toString(v);
                    }
                    return signExtend(v, bits, (enc & 1) != 0);
                }
                case BTF_KIND_ENUM, BTF_KIND_ENUM64 -> {
                    count();
                    int size = btf.sizeOrType(t);
                    if (size <= 0 || size > 8) {
                        throw new BtfFormatException("cannot render enum of size " + size + " (type " + t + ")");
                    }
                    int bits = bitfield != 0 ? bitfield : size * 8;
                    long v = bitfield != 0 ? readBits(off, bitOff, bits, t) : readInt(off, size, t);
                    String name = enumName(t, v);
                    return name != null ? name : signExtend(v, bits, btf.kflag(t));
                }
                case BTF_KIND_PTR -> {
                    count();
                    long v = readInt(off, btf.pointerSize(), t);
                    return "0x" + Long.toHexString(v);
                }
                case BTF_KIND_FLOAT -> {
                    count();
                    int size = btf.sizeOrType(t);
                    return switch (size) {
                        case 4 -> Float.toString(Float.intBitsToFloat((int) readInt(off, 4, t)));
                        case 8 -> Double.toString(Double.longBitsToDouble(readInt(off, 8, t)));
                        default -> {
                            check(off, size, t);
                            yield "<float" + size * 8 + ">";
                        }
                    };
                }
                default -> {
                    return null;
                }
            }
        }

        private void indent(StringBuilder sb, int lvl) {
            for (int i = 0; i < lvl; i++) {
                sb.append("    ");
            }
        }

        void text(int type, long off, long bitOff, int bitfield, StringBuilder sb, int lvl) {
            depth++;
            try {
                textValue(type, off, bitOff, bitfield, sb, lvl);
            } finally {
                depth--;
            }
        }

        private void textValue(int type, long off, long bitOff, int bitfield, StringBuilder sb, int lvl) {
            nest(lvl);
            int t = btf.resolve(type);
            String s = scalar(t, off, bitOff, bitfield);
            if (s != null) {
                sb.append(s);
                return;
            }
            int kind = btf.kindOf(t);
            switch (kind) {
                case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                    count();
                    check(off, Integer.toUnsignedLong(btf.sizeOrType(t)), t);
                    sb.append("{\n");
                    members(t, off, sb, lvl + 1);
                    indent(sb, lvl);
                    sb.append('}');
                }
                case BTF_KIND_ARRAY -> {
                    long n = btf.arrayLength(t);
                    int elem = btf.arrayType(t);
                    long esz = btf.resolveSize(elem);
                    if (esz < 0) {
                        throw new BtfFormatException("array element type " + elem + " has no size");
                    }
                    if (n != 0) {
                        check(off, esz * n, t);
                    }
                    if (isCharArray(t)) {
                        sb.append('"').append(cString(off, n)).append('"');
                        return;
                    }
                    sb.append('[');
                    for (long i = 0; i < n; i++) {
                        count();
                        if (i > 0) {
                            sb.append(", ");
                        }
                        text(elem, off + i * esz, 0, 0, sb, lvl);
                    }
                    sb.append(']');
                }
                case 0 -> sb.append("void");
                default -> {
                    count();
                    sb.append('<').append(btf.kind(t)).append(" '").append(btf.name(t)).append("'>");
                }
            }
        }

        private void members(int t, long off, StringBuilder sb, int lvl) {
            nest(lvl);
            int vlen = btf.vlen(t);
            for (int i = 0; i < vlen; i++) {
                int mt = btf.memberType(t, i);
                long mbit = btf.memberBitOffset(t, i);
                int bsz = btf.memberBitfieldSize(t, i);
                String name = btf.str(btf.memberNameOff(t, i));
                indent(sb, lvl);
                if (!name.isEmpty()) {
                    sb.append('.').append(name).append(" = ");
                }
                if (bsz != 0) {
                    text(mt, off, mbit, bsz, sb, lvl);
                } else {
                    text(mt, off + (mbit >>> 3), 0, 0, sb, lvl);
                }
                sb.append(",\n");
            }
        }

        void json(int type, long off, long bitOff, int bitfield, JsonGenerator g, int lvl) throws IOException {
            depth++;
            try {
                jsonValue(type, off, bitOff, bitfield, g, lvl);
            } finally {
                depth--;
            }
        }

        private void jsonValue(int type, long off, long bitOff, int bitfield, JsonGenerator g, int lvl)
                throws IOException {
            nest(lvl);
            int t = btf.resolve(type);
            int kind = btf.kindOf(t);
            switch (kind) {
                case BTF_KIND_INT -> {
                    String s = scalar(t, off, bitOff, bitfield);
                    if (s.startsWith("0x")) {
                        g.writeString(s);
                    } else if (s.equals("true") || s.equals("false")) {
                        g.writeBoolean(s.equals("true"));
                    } else {
                        g.writeNumber(new BigInteger(s));
                    }
                }
                case BTF_KIND_ENUM, BTF_KIND_ENUM64 -> {
                    count();
                    int size = btf.sizeOrType(t);
                    if (size <= 0 || size > 8) {
                        throw new BtfFormatException("cannot render enum of size " + size + " (type " + t + ")");
                    }
                    int bits = bitfield != 0 ? bitfield : size * 8;
                    long v = bitfield != 0 ? readBits(off, bitOff, bits, t) : readInt(off, size, t);
                    String name = enumName(t, v);
                    if (name != null && !name.isEmpty()) {
                        g.writeString(name);
                    } else {
                        g.writeNumber(new BigInteger(signExtend(v, bits, btf.kflag(t))));
                    }
                }
                case BTF_KIND_PTR -> g.writeString(scalar(t, off, bitOff, bitfield));
                case BTF_KIND_FLOAT -> {
                    String s = scalar(t, off, bitOff, bitfield);
                    if (s.startsWith("<") || s.contains("N") || s.contains("I")) {
                        g.writeString(s); // NaN, Infinity and long double have no JSON number
                    } else {
                        g.writeNumber(s);
                    }
                }
                case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                    count();
                    check(off, Integer.toUnsignedLong(btf.sizeOrType(t)), t);
                    g.writeStartObject();
                    jsonMembers(t, off, g, lvl + 1);
                    g.writeEndObject();
                }
                case BTF_KIND_ARRAY -> {
                    long n = btf.arrayLength(t);
                    int elem = btf.arrayType(t);
                    long esz = btf.resolveSize(elem);
                    if (esz < 0) {
                        throw new BtfFormatException("array element type " + elem + " has no size");
                    }
                    if (n != 0) {
                        check(off, esz * n, t);
                    }
                    if (isCharArray(t)) {
                        g.writeString(unescapedCString(off, n));
                        return;
                    }
                    g.writeStartArray();
                    for (long i = 0; i < n; i++) {
                        count();
                        json(elem, off + i * esz, 0, 0, g, lvl + 1);
                    }
                    g.writeEndArray();
                }
                default -> {
                    count();
                    g.writeNull();
                }
            }
        }

        private String unescapedCString(long off, long len) {
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

        /** Members as object fields; anonymous struct/union members contribute their fields in place. */
        private void jsonMembers(int t, long off, JsonGenerator g, int lvl) throws IOException {
            nest(lvl);
            int vlen = btf.vlen(t);
            for (int i = 0; i < vlen; i++) {
                int mt = btf.memberType(t, i);
                long mbit = btf.memberBitOffset(t, i);
                int bsz = btf.memberBitfieldSize(t, i);
                String name = btf.str(btf.memberNameOff(t, i));
                if (name.isEmpty()) {
                    count();
                    int r = btf.resolve(mt);
                    int k = btf.kindOf(r);
                    if (bsz == 0 && (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION)) {
                        long moff = off + (mbit >>> 3);
                        check(moff, Integer.toUnsignedLong(btf.sizeOrType(r)), r);
                        depth++;
                        try {
                            jsonMembers(r, moff, g, lvl + 1);
                        } finally {
                            depth--;
                        }
                        continue;
                    }
                    name = "(anon)";
                }
                g.writeFieldName(name);
                if (bsz != 0) {
                    json(mt, off, mbit, bsz, g, lvl);
                } else {
                    json(mt, off + (mbit >>> 3), 0, 0, g, lvl);
                }
            }
        }
    }
}
