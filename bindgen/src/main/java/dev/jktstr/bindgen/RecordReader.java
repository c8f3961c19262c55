package dev.jktstr.bindgen;

import dev.jktstr.bindgen.BindingList.RecordKind;
import dev.jktstr.bindgen.BindingList.RecordName;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a group's listed structs, unions and record typedefs into {@link Record}s: size, alignment and
 * member offsets as clang lays them out, bitfields, anonymous members flattened, anonymous member types
 * as nested classes, and every record held by value as a top-level record of its own.
 */
final class RecordReader {

    private final BindingList.Group spec;
    private final DeclarationIndex index;
    private final TranslationUnit unit;

    /** Every top-level record of the group, by C type spelling, in discovery order. */
    private final Map<String, Record> records = new LinkedHashMap<>();
    /** Records found but not read yet: one held by value is read after the record that holds it. */
    private final Deque<Runnable> pendingRecords = new ArrayDeque<>();

    RecordReader(BindingList.Group spec, DeclarationIndex index, TranslationUnit unit) {
        this.spec = spec;
        this.index = index;
        this.unit = unit;
    }

    /**
     * The listed records and the records they hold by value, sorted by class name; a name or pattern
     * that matches nothing is added to {@code missing}.
     */
    List<Record> read(List<String> missing) {
        for (RecordName name : spec.records()) {
            List<Cursor> matched = new ArrayList<>();
            Map<String, Cursor> candidates = switch (name.kind()) {
                case STRUCT -> index.structs;
                case UNION -> index.unions;
                case TYPEDEF -> index.typedefs;
            };
            for (Map.Entry<String, Cursor> entry : candidates.entrySet()) {
                if (BindingList.matches(name.pattern(), entry.getKey())) {
                    matched.add(entry.getValue());
                }
            }
            if (matched.isEmpty()) {
                missing.add(name.toString());
            }
            for (Cursor cursor : matched) {
                ClangType type = name.kind() == RecordKind.TYPEDEF
                        ? cursor.typedefUnderlyingType().canonical() : cursor.type().canonical();
                if (type.kind() != LibClang.TYPE_RECORD) {
                    if (BindingList.isPattern(name.pattern())) {
                        continue; // a pattern over typedefs picks the records among them
                    }
                    throw new BindgenException("group " + spec.name() + ": typedef " + cursor.spelling()
                            + " names " + type.spelling() + ", not a struct or union");
                }
                topLevel(type);
            }
        }
        while (!pendingRecords.isEmpty()) {
            pendingRecords.removeFirst().run();
        }
        Map<String, Record> byJavaName = new TreeMap<>();
        for (Record record : records.values()) {
            Record clash = byJavaName.put(record.javaName, record);
            if (clash != null || record.javaName.equals(JavaNames.groupClassName(spec.name()))) {
                throw new BindgenException("group " + spec.name() + ": " + record.cType + " and "
                        + (clash == null ? "the constants class" : clash.cType) + " would both be class " + record.javaName);
            }
        }
        return List.copyOf(byJavaName.values());
    }

    /** The top-level record of a named C type, created on first use; its members are read later. */
    private Record topLevel(ClangType canonical) {
        String cType = canonical.spelling();
        Record existing = records.get(cType);
        if (existing != null) {
            return existing;
        }
        Cursor declaration = canonical.declaration(unit);
        Record record = new Record();
        record.cType = cType;
        record.cName = declaration.spelling();
        record.javaName = JavaNames.className(record.cName);
        records.put(cType, record);
        pendingRecords.add(() -> fill(record, declaration, canonical, record, record, ""));
        return record;
    }

    /**
     * Reads a record's size, alignment and members.
     *
     * @param owner the record whose class holds this one's members: itself, or for an anonymous member
     *              the record it is flattened into
     * @param root  the top-level record (for nested types' C typeof expressions)
     * @param path  the member path from {@code root} to this record, empty for {@code root} itself
     */
    private void fill(Record record, Cursor declaration, ClangType canonical, Record owner, Record root, String path) {
        record.union = declaration.kind() == LibClang.CURSOR_UNION_DECL;
        record.size = canonical.sizeOf();
        record.align = canonical.alignOf();
        record.origin = shortOrigin(declaration);
        if (record.size < 0 || record.align <= 0) {
            throw new BindgenException("group " + spec.name() + ": " + describe(record) + " is incomplete or invalid"
                    + " (sizeof returned " + record.size + ")");
        }
        for (Cursor child : declaration.children()) {
            int kind = child.kind();
            if (kind == LibClang.CURSOR_FIELD_DECL) {
                Member member = field(record, child, owner, root, path);
                if (member != null) {
                    record.members.add(member);
                }
            } else if ((kind == LibClang.CURSOR_STRUCT_DECL || kind == LibClang.CURSOR_UNION_DECL)
                    && child.isAnonymousRecordDecl()) {
                Record anonymous = new Record();
                ClangType anonymousType = child.type().canonical();
                anonymous.cName = "";
                anonymous.cType = record.cType + " (anonymous member)";
                anonymous.enclosing = null;
                fill(anonymous, child, anonymousType, owner, root, path);
                record.members.add(new Anonymous(anonymous, anonymousOffset(record, canonical, anonymous, anonymousType)));
            }
        }
    }

    private Member field(Record record, Cursor cursor, Record owner, Record root, String path) {
        String name = cursor.spelling();
        ClangType type = cursor.type();
        ClangType canonical = type.canonical();
        long bits = cursor.offsetOfFieldBits();
        if (bits < 0) {
            throw new BindgenException("group " + spec.name() + ": clang has no offset for " + describe(record) + "." + name);
        }
        String declaration = CTypes.declaration(type.spelling(), name);
        if (cursor.isBitField()) {
            int width = cursor.bitWidth();
            if (width == 0) {
                return null; // ':0' only aligns the next member, and clang's offsets already say where that is
            }
            ClangType integer = canonical.kind() == LibClang.TYPE_ENUM
                    ? canonical.declaration(unit).enumIntegerType().canonical() : canonical;
            return new BitField(name, bits, width, (int) canonical.sizeOf(), CTypes.isSigned(integer.kind()), declaration);
        }
        if (bits % 8 != 0) {
            throw new BindgenException("group " + spec.name() + ": " + describe(record) + "." + name + " is not byte aligned");
        }
        String memberPath = path.isEmpty() ? name : path + "." + name;
        return new Field(name, bits / 8, type(owner, canonical, name, root, memberPath), declaration);
    }

    private Type type(Record owner, ClangType canonical, String fieldName, Record root, String memberPath) {
        Scalar scalar = CTypes.scalarOf(canonical, unit);
        if (scalar != null) {
            return scalar;
        }
        switch (canonical.kind()) {
            case LibClang.TYPE_RECORD -> {
                Cursor declaration = canonical.declaration(unit);
                if (!declaration.isAnonymous()) {
                    return new RecordRef(topLevel(canonical));
                }
                Record nested = new Record();
                nested.cName = fieldName;
                nested.javaName = JavaNames.nestedClassName(fieldName, owner);
                nested.enclosing = owner;
                nested.cType = "__typeof__(((" + root.cType + " *)0)->" + memberPath + ")";
                owner.nested.add(nested);
                fill(nested, declaration, canonical, nested, root, memberPath);
                return new RecordRef(nested);
            }
            case LibClang.TYPE_CONSTANT_ARRAY -> {
                long length = canonical.arraySize();
                Type element = type(owner, canonical.elementType().canonical(), fieldName, root, memberPath + "[0]");
                return new Array(element, length, length == 0);
            }
            case LibClang.TYPE_INCOMPLETE_ARRAY -> {
                Type element = type(owner, canonical.elementType().canonical(), fieldName, root, memberPath + "[0]");
                return new Array(element, 0, true);
            }
            default -> {
                long size = canonical.sizeOf();
                long align = canonical.alignOf();
                if (size <= 0 || align <= 0) {
                    throw new BindgenException("group " + spec.name() + ": " + describe(owner) + "." + fieldName
                            + " has type " + canonical.spelling() + ", which has no size");
                }
                return new Opaque(size, align);
            }
        }
    }

    /** Where an anonymous member starts in its owner: clang knows the offsets of the fields it holds. */
    private long anonymousOffset(Record owner, ClangType ownerType, Record anonymous, ClangType anonymousType) {
        String leaf = firstNamedField(anonymous);
        if (leaf == null) {
            throw new BindgenException("group " + spec.name() + ": an anonymous member of " + describe(owner)
                    + " has no named field");
        }
        long inOwner = ownerType.offsetOfBits(leaf);
        long inAnonymous = anonymousType.offsetOfBits(leaf);
        if (inOwner < 0 || inAnonymous < 0 || (inOwner - inAnonymous) % 8 != 0) {
            throw new BindgenException("group " + spec.name() + ": cannot place the anonymous member of "
                    + describe(owner) + " that holds " + leaf);
        }
        return (inOwner - inAnonymous) / 8;
    }

    private static String firstNamedField(Record record) {
        for (Member member : record.members) {
            switch (member) {
                case Field field -> {
                    return field.name();
                }
                case BitField bits when !bits.name().isEmpty() -> {
                    return bits.name();
                }
                case Anonymous anonymous -> {
                    String inner = firstNamedField(anonymous.record());
                    if (inner != null) {
                        return inner;
                    }
                }
                default -> { }
            }
        }
        return null;
    }

    private static String describe(Record record) {
        return record.cType;
    }

    /** "linux/kvm.h" rather than the absolute path, so nothing machine-specific reaches the output. */
    private static String shortOrigin(Cursor cursor) {
        String file = cursor.fileName();
        int include = file.lastIndexOf("/include/");
        String relative = include >= 0 ? file.substring(include + "/include/".length()) : file;
        return relative.startsWith("x86_64-linux-gnu/") ? relative.substring("x86_64-linux-gnu/".length()) : relative;
    }
}
