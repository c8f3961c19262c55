package dev.jktstr.bindgen;

import static dev.jktstr.bindgen.JavaSource.code;
import static dev.jktstr.bindgen.JavaSource.javadoc;

import dev.jktstr.bindgen.Model.Anonymous;
import dev.jktstr.bindgen.Model.Array;
import dev.jktstr.bindgen.Model.BitField;
import dev.jktstr.bindgen.Model.Field;
import dev.jktstr.bindgen.Model.Member;
import dev.jktstr.bindgen.Model.Opaque;
import dev.jktstr.bindgen.Model.Record;
import dev.jktstr.bindgen.Model.RecordRef;
import dev.jktstr.bindgen.Model.Scalar;
import dev.jktstr.bindgen.Model.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the class of a struct or union: its {@code LAYOUT} (built by {@link LayoutEmitter}), and per
 * member the offset, layout and accessors — fields, arrays, slices of nested records, bitfields —
 * with the nested classes of anonymous member types.
 */
final class RecordClassEmitter {

    private final LayoutManifest manifest;

    RecordClassEmitter(LayoutManifest manifest) {
        this.manifest = manifest;
    }

    /** The source of a top-level record's class (with its nested classes), without package and imports. */
    String emit(Record record) {
        JavaSource s = new JavaSource();
        recordClass(s, record, "");
        return s.toString();
    }

    private void recordClass(JavaSource s, Record record, String indent) {
        String kind = record.union ? "union" : "struct";
        String layoutType = record.union ? "UnionLayout" : "StructLayout";
        manifest.record(record);
        s.line(indent + "/**");
        if (record.enclosing == null) {
            s.line(indent + " * " + code(record.cType) + " from " + javadoc(record.origin) + ": "
                    + record.size + " bytes, aligned to " + record.align + ".");
        } else {
            s.line(indent + " * The anonymous " + kind + " type of " + code(record.enclosing.cName) + "."
                    + javadoc(record.cName) + ": " + record.size + " bytes, aligned to " + record.align + ".");
        }
        s.line(indent + " * Accessors take the segment of one " + kind + " and read or write the member named like them.");
        s.line(indent + " */");
        s.line(indent + "public " + (record.enclosing == null ? "" : "static ") + "final class " + record.javaName + " {");
        s.line();
        s.line(indent + "    private " + record.javaName + "() {}");
        s.line();
        s.line(indent + "    /** The layout of " + code(record.enclosing == null ? record.cType : record.cName) + ". */");
        String expression = LayoutEmitter.recordLayout(record, indent + "    ");
        s.line(indent + "    public static final " + layoutType + " LAYOUT = " + expression + ".withName(\"" + record.cName + "\");");
        for (Accessor accessor : accessors(record)) {
            s.line();
            switch (accessor.member) {
                case Field field -> fieldAccessors(s, indent + "    ", record, accessor, field);
                case BitField bits -> bitFieldAccessors(s, indent + "    ", record, accessor, bits);
                case Anonymous ignored -> throw new IllegalStateException();
            }
        }
        for (Record nested : record.nested) {
            s.line();
            recordClass(s, nested, indent + "    ");
        }
        s.line(indent + "}");
    }

    /** A member reachable from a class: direct, or through anonymous members (whose names make its path). */
    private record Accessor(Member member, String cName, long offset, List<String> path) {
        String javaName() {
            return JavaNames.identifier(cName);
        }
    }

    private static List<Accessor> accessors(Record record) {
        List<Accessor> accessors = new ArrayList<>();
        collect(record, 0, List.of(), accessors);
        return accessors;
    }

    private static void collect(Record record, long base, List<String> path, List<Accessor> out) {
        int anonymous = 0;
        for (Member member : record.members) {
            switch (member) {
                case Field field -> out.add(new Accessor(field, field.name(), base + field.offset(), append(path, field.name())));
                case BitField bits -> {
                    if (!bits.name().isEmpty()) {
                        out.add(new Accessor(bits, bits.name(), base, path));
                    }
                }
                case Anonymous a -> collect(a.record(), base + a.offset(), append(path, "$anon" + anonymous++), out);
            }
        }
    }

    private static List<String> append(List<String> path, String name) {
        List<String> longer = new ArrayList<>(path);
        longer.add(name);
        return longer;
    }

    private void fieldAccessors(JavaSource s, String in, Record owner, Accessor accessor, Field field) {
        String n = accessor.javaName();
        Type type = field.type();
        boolean flexible = type instanceof Array array && array.flexible();
        manifest.field(owner, accessor.cName, n, flexible);
        String where = code(field.declaration());
        String layoutType = layoutType(type);
        s.line(in + "/** The byte offset of " + where + ". */");
        s.line(in + "public static final long " + n + "$OFFSET = " + accessor.offset + "L;");
        s.line(in + "/** The layout of " + code(accessor.cName) + " in {@link #LAYOUT}. */");
        s.line(in + "public static final " + layoutType + " " + n + "$LAYOUT = (" + layoutType + ") LAYOUT.select("
                + pathElements(accessor.path) + ");");
        switch (type) {
            case Scalar scalar -> {
                s.line();
                s.line(in + "/** Reads " + where + ". */");
                s.line(in + "public static " + scalar.javaType + " " + n + "(MemorySegment struct) {");
                s.line(in + "    return struct.get(" + n + "$LAYOUT, " + n + "$OFFSET);");
                s.line(in + "}");
                s.line();
                s.line(in + "/** Writes " + where + ". */");
                s.line(in + "public static void " + n + "(MemorySegment struct, " + scalar.javaType + " value) {");
                s.line(in + "    struct.set(" + n + "$LAYOUT, " + n + "$OFFSET, value);");
                s.line(in + "}");
            }
            case Array array -> arrayAccessors(s, in, n, where, array);
            case RecordRef ignored -> sliceAccessors(s, in, n, where);
            case Opaque ignored -> sliceAccessors(s, in, n, where);
        }
    }

    private static void sliceAccessors(JavaSource s, String in, String n, String where) {
        s.line();
        s.line(in + "/** The slice of {@code struct} that holds " + where + ". */");
        s.line(in + "public static MemorySegment " + n + "(MemorySegment struct) {");
        s.line(in + "    return struct.asSlice(" + n + "$OFFSET, " + n + "$LAYOUT.byteSize());");
        s.line(in + "}");
        s.line();
        s.line(in + "/** Copies {@code value} into " + where + ". */");
        s.line(in + "public static void " + n + "(MemorySegment struct, MemorySegment value) {");
        s.line(in + "    MemorySegment.copy(value, 0L, struct, " + n + "$OFFSET, " + n + "$LAYOUT.byteSize());");
        s.line(in + "}");
    }

    private static void arrayAccessors(JavaSource s, String in, String n, String where, Array array) {
        Type element = array.element();
        long elementSize = element.size();
        String index = array.flexible() ? "index" : "Objects.checkIndex(index, " + array.length() + "L)";
        String at = n + "$OFFSET + " + index + " * " + elementSize + "L";
        if (array.flexible()) {
            s.line();
            s.line(in + "/** The slice of {@code struct} from " + where + " (a flexible array) to its end. */");
            s.line(in + "public static MemorySegment " + n + "(MemorySegment struct) {");
            s.line(in + "    return struct.asSlice(" + n + "$OFFSET);");
            s.line(in + "}");
        } else {
            sliceAccessors(s, in, n, where);
        }
        if (element instanceof Scalar scalar) {
            String elementLayout = scalar.layoutType();
            s.line();
            s.line(in + "private static final " + elementLayout + " " + n + "$ELEMENT = (" + elementLayout + ") "
                    + n + "$LAYOUT.elementLayout();");
            s.line();
            s.line(in + "/** Reads element {@code index} of " + where + ". */");
            s.line(in + "public static " + scalar.javaType + " " + n + "(MemorySegment struct, long index) {");
            s.line(in + "    return struct.get(" + n + "$ELEMENT, " + at + ");");
            s.line(in + "}");
            s.line();
            s.line(in + "/** Writes element {@code index} of " + where + ". */");
            s.line(in + "public static void " + n + "(MemorySegment struct, long index, " + scalar.javaType + " value) {");
            s.line(in + "    struct.set(" + n + "$ELEMENT, " + at + ", value);");
            s.line(in + "}");
        } else {
            s.line();
            s.line(in + "/** The slice of {@code struct} that holds element {@code index} of " + where + ". */");
            s.line(in + "public static MemorySegment " + n + "(MemorySegment struct, long index) {");
            s.line(in + "    return struct.asSlice(" + at + ", " + elementSize + "L);");
            s.line(in + "}");
        }
    }

    /**
     * Bitfields have no layout of their own: each is read and written through the smallest naturally
     * aligned 1, 2, 4 or 8-byte unit of the record that holds all its bits (little-endian, as on x86-64).
     */
    private void bitFieldAccessors(JavaSource s, String in, Record owner, Accessor accessor, BitField bits) {
        String n = accessor.javaName();
        long bitOffset = accessor.offset * 8 + bits.bitOffset();
        int unit = 0;
        for (int size : new int[] {1, 2, 4, 8}) {
            long first = bitOffset / (8L * size);
            long last = (bitOffset + bits.width() - 1) / (8L * size);
            if (first == last && first * size + size <= owner.size) {
                unit = size;
                break;
            }
        }
        if (unit == 0) {
            throw new BindgenException(owner.cType + "." + accessor.cName + ": no 1, 2, 4 or 8-byte unit inside the record"
                    + " holds all bits of this bitfield");
        }
        long unitOffset = bitOffset / (8L * unit) * unit;
        int shift = (int) (bitOffset - unitOffset * 8);
        long mask = bits.width() == 64 ? -1L : (1L << bits.width()) - 1;
        String unitLayout = switch (unit) {
            case 1 -> "JAVA_BYTE";
            case 2 -> "JAVA_SHORT_UNALIGNED";
            case 4 -> "JAVA_INT_UNALIGNED";
            default -> "JAVA_LONG_UNALIGNED";
        };
        String unitInterface = switch (unit) {
            case 1 -> "OfByte";
            case 2 -> "OfShort";
            case 4 -> "OfInt";
            default -> "OfLong";
        };
        String read = switch (unit) {
            case 1 -> "Byte.toUnsignedLong(struct.get(" + n + "$UNIT, " + n + "$UNIT_OFFSET))";
            case 2 -> "Short.toUnsignedLong(struct.get(" + n + "$UNIT, " + n + "$UNIT_OFFSET))";
            case 4 -> "Integer.toUnsignedLong(struct.get(" + n + "$UNIT, " + n + "$UNIT_OFFSET))";
            default -> "struct.get(" + n + "$UNIT, " + n + "$UNIT_OFFSET)";
        };
        String narrow = switch (unit) {
            case 1 -> "(byte) ";
            case 2 -> "(short) ";
            case 4 -> "(int) ";
            default -> "";
        };
        boolean wide = bits.unitBytes() > 4;
        String javaType = wide ? "long" : "int";
        manifest.bitField(owner, accessor.cName, n, javaType);
        String maskLiteral = "0x" + Long.toHexString(mask) + "L";
        String where = "bitfield " + code(bits.declaration() + ":" + bits.width());
        s.line(in + "/** The byte offset of the " + unit + "-byte unit that holds " + where + ". */");
        s.line(in + "public static final long " + n + "$UNIT_OFFSET = " + unitOffset + "L;");
        s.line(in + "/** The layout used to read and write the unit that holds " + where + ". */");
        s.line(in + "public static final ValueLayout." + unitInterface + " " + n + "$UNIT = ValueLayout." + unitLayout + ";");
        s.line(in + "/** The position of the lowest bit of " + where + " in its unit. */");
        s.line(in + "public static final int " + n + "$SHIFT = " + shift + ";");
        s.line(in + "/** The number of bits of " + where + ". */");
        s.line(in + "public static final int " + n + "$WIDTH = " + bits.width() + ";");
        s.line();
        s.line(in + "/** Reads " + where + (bits.signed() ? ", sign-extended" : "") + ". */");
        s.line(in + "public static " + javaType + " " + n + "(MemorySegment struct) {");
        s.line(in + "    long unit = " + read + ";");
        String value = bits.signed()
                ? "(unit << (64 - " + n + "$SHIFT - " + n + "$WIDTH)) >> (64 - " + n + "$WIDTH)"
                : "(unit >>> " + n + "$SHIFT) & " + maskLiteral;
        s.line(in + "    return " + (wide ? value : "(int) (" + value + ")") + ";");
        s.line(in + "}");
        s.line();
        s.line(in + "/** Writes the low " + bits.width() + " bits of {@code value} into " + where + ". */");
        s.line(in + "public static void " + n + "(MemorySegment struct, " + javaType + " value) {");
        s.line(in + "    long unit = " + read + ";");
        String widened = wide ? "value" : "(long) value";
        s.line(in + "    unit = (unit & ~(" + maskLiteral + " << " + n + "$SHIFT)) | ((" + widened + " & " + maskLiteral
                + ") << " + n + "$SHIFT);");
        s.line(in + "    struct.set(" + n + "$UNIT, " + n + "$UNIT_OFFSET, " + narrow + "unit);");
        s.line(in + "}");
    }

    private static String pathElements(List<String> path) {
        List<String> elements = new ArrayList<>();
        for (String name : path) {
            elements.add("PathElement.groupElement(\"" + name + "\")");
        }
        return String.join(", ", elements);
    }

    private static String layoutType(Type type) {
        return switch (type) {
            case Scalar scalar -> scalar.layoutType();
            case Array ignored -> "SequenceLayout";
            case RecordRef ref -> ref.record().union ? "UnionLayout" : "StructLayout";
            case Opaque ignored -> "SequenceLayout";
        };
    }
}
