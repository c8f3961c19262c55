package dev.jktstr.bindgen;

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
 * Builds the {@code MemoryLayout} expression of a record: members at clang's offsets with explicit
 * padding, bitfield runs as storage members, anonymous members as {@code $anonN} groups, and unaligned
 * members where a packed record holds them.
 */
final class LayoutEmitter {

    private LayoutEmitter() {}

    /** The expression of {@code record}'s layout, at its own alignment; {@code indent} is the line's. */
    static String recordLayout(Record record, String indent) {
        return layoutExpression(record, record.align, indent).expression;
    }

    /** A layout expression and the alignment of the layout it builds. */
    private record Emitted(String expression, long align) {}

    /** Where a member is in its record and how it is laid out; bitfield runs become one storage member. */
    private record Item(long start, long size, Emitted layout) {}

    /**
     * The layout of a record with no member aligned more than {@code cap}: packed records hold members
     * that are less aligned than their type (setup_header), so their layouts use unaligned members.
     */
    private static Emitted layoutExpression(Record record, long cap, String indent) {
        long recordCap = Math.min(cap, record.align);
        List<Item> items = new ArrayList<>();
        int anonymous = 0;
        int bitfieldRuns = 0;
        List<BitField> run = new ArrayList<>();
        for (Member member : record.members) {
            if (member instanceof BitField bits) {
                if (record.union) {
                    items.add(bitfieldRun(List.of(bits), "$bitfields" + bitfieldRuns++, recordCap));
                } else {
                    run.add(bits);
                }
                continue;
            }
            if (!run.isEmpty()) {
                items.add(bitfieldRun(run, "$bitfields" + bitfieldRuns++, recordCap));
                run.clear();
            }
            switch (member) {
                case Field field -> {
                    Emitted layout = typeLayout(field.type(), memberCap(field.offset(), recordCap), indent + "        ");
                    items.add(new Item(field.offset(), field.type().size(),
                            new Emitted(layout.expression + ".withName(\"" + field.name() + "\")", layout.align)));
                }
                case Anonymous a -> {
                    Emitted layout = layoutExpression(a.record(), memberCap(a.offset(), recordCap), indent + "        ");
                    items.add(new Item(a.offset(), a.record().size,
                            new Emitted(layout.expression + ".withName(\"$anon" + anonymous++ + "\")", layout.align)));
                }
                case BitField ignored -> throw new IllegalStateException();
            }
        }
        if (!run.isEmpty()) {
            items.add(bitfieldRun(run, "$bitfields" + bitfieldRuns, recordCap));
        }
        List<String> parts = new ArrayList<>();
        long align = 1;
        long position = 0;
        items.sort(java.util.Comparator.comparingLong(Item::start));
        for (Item item : items) {
            if (record.union) {
                position = Math.max(position, item.size);
            } else {
                if (item.start < position) {
                    throw new BindgenException(record.cType + ": members overlap at byte " + item.start);
                }
                if (item.start > position) {
                    parts.add("MemoryLayout.paddingLayout(" + (item.start - position) + "L)");
                }
                position = item.start + item.size;
            }
            parts.add(item.layout.expression);
            align = Math.max(align, item.layout.align);
        }
        if (position > record.size) {
            throw new BindgenException(record.cType + ": members end at byte " + position + ", past its size " + record.size);
        }
        if (position < record.size) {
            parts.add("MemoryLayout.paddingLayout(" + (record.size - (record.union ? 0 : position)) + "L)");
        }
        if (align > recordCap) {
            throw new BindgenException(record.cType + ": a member needs alignment " + align + " but the record has " + recordCap);
        }
        StringBuilder expression = new StringBuilder("MemoryLayout.").append(record.union ? "unionLayout(" : "structLayout(");
        for (int i = 0; i < parts.size(); i++) {
            expression.append('\n').append(indent).append("        ").append(parts.get(i)).append(i + 1 < parts.size() ? "," : "");
        }
        expression.append(parts.isEmpty() ? ")" : "\n" + indent + ")");
        if (align < recordCap) {
            expression.append(".withByteAlignment(").append(recordCap).append(")");
        }
        return new Emitted(expression.toString(), recordCap);
    }

    private static Item bitfieldRun(List<BitField> run, String name, long recordCap) {
        long firstBit = Long.MAX_VALUE;
        long endBit = 0;
        for (BitField bits : run) {
            firstBit = Math.min(firstBit, bits.bitOffset());
            endBit = Math.max(endBit, bits.bitOffset() + bits.width());
        }
        long start = firstBit / 8;
        long size = (endBit + 7) / 8 - start;
        long cap = memberCap(start, recordCap);
        String expression;
        long align;
        if (size == 1 || size == 2 || size == 4 || size == 8) {
            String constant = switch ((int) size) {
                case 1 -> "JAVA_BYTE";
                case 2 -> "JAVA_SHORT";
                case 4 -> "JAVA_INT";
                default -> "JAVA_LONG";
            };
            align = Math.min(size, cap);
            expression = "ValueLayout." + constant + (align < size ? ".withByteAlignment(" + align + ")" : "");
        } else {
            align = 1;
            expression = "MemoryLayout.sequenceLayout(" + size + "L, ValueLayout.JAVA_BYTE)";
        }
        return new Item(start, size, new Emitted(expression + ".withName(\"" + name + "\")", align));
    }

    private static Emitted typeLayout(Type type, long cap, String indent) {
        return switch (type) {
            case Scalar scalar -> {
                long align = Math.min(scalar.bytes, cap);
                yield new Emitted("ValueLayout." + scalar.layoutConstant
                        + (align < scalar.bytes ? ".withByteAlignment(" + align + ")" : ""), align);
            }
            case Array array -> {
                Emitted element = typeLayout(array.element(), cap, indent);
                yield new Emitted("MemoryLayout.sequenceLayout(" + array.length() + "L, " + element.expression + ")", element.align);
            }
            case RecordRef ref -> ref.record().align <= cap
                    ? new Emitted(ref.record().sourceName() + ".LAYOUT", ref.record().align)
                    : layoutExpression(ref.record(), cap, indent);
            case Opaque opaque -> {
                long align = Math.min(opaque.align(), cap);
                yield new Emitted("MemoryLayout.sequenceLayout(" + opaque.size() + "L, ValueLayout.JAVA_BYTE)"
                        + (align > 1 ? ".withByteAlignment(" + align + ")" : ""), align);
            }
        };
    }

    /** The largest alignment, at most {@code cap}, that a member at {@code offset} can have. */
    private static long memberCap(long offset, long cap) {
        long align = cap;
        while (align > 1 && offset % align != 0) {
            align >>= 1;
        }
        return align;
    }
}
