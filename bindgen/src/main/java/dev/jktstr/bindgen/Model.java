package dev.jktstr.bindgen;

import java.util.ArrayList;
import java.util.List;

/**
 * What the generator found in a group's headers, in the terms the emitter needs: no libclang types
 * past this point. Offsets are in bytes relative to the record that holds the member, except for
 * bitfields (bits).
 */
final class Model {

    private Model() {}

    /** A group of the binding list, resolved; {@code libraries} empty means the functions resolve in libc. */
    record Group(String name, List<String> headers, List<String> includes, List<String> defines,
                 List<Constant> constants, List<Record> records, List<Function> functions, List<String> libraries) {}

    /**
     * An integer constant (macro or enum value).
     *
     * @param isLong     emitted as a Java long (see the README's rule), else as int
     * @param definition the C text it comes from, for the javadoc ({@code #define X _IO(...)})
     * @param hex        written in hexadecimal (ioctl numbers, masks, shifts)
     */
    record Constant(String name, long value, boolean isLong, String definition, boolean hex) {}

    /** The C type of a non-bitfield member. */
    sealed interface Type permits Scalar, Array, RecordRef, Opaque {
        long size();

        long align();
    }

    /** A scalar C type and the Java layout that carries it. */
    enum Scalar implements Type {
        BOOL("boolean", "JAVA_BOOLEAN", "OfBoolean", 1),
        BYTE("byte", "JAVA_BYTE", "OfByte", 1),
        SHORT("short", "JAVA_SHORT", "OfShort", 2),
        INT("int", "JAVA_INT", "OfInt", 4),
        LONG("long", "JAVA_LONG", "OfLong", 8),
        FLOAT("float", "JAVA_FLOAT", "OfFloat", 4),
        DOUBLE("double", "JAVA_DOUBLE", "OfDouble", 8),
        POINTER("MemorySegment", "ADDRESS", null, 8);

        final String javaType;
        final String layoutConstant;
        /** The ValueLayout subinterface name, or null for {@code AddressLayout}. */
        final String layoutInterface;
        final int bytes;

        Scalar(String javaType, String layoutConstant, String layoutInterface, int bytes) {
            this.javaType = javaType;
            this.layoutConstant = layoutConstant;
            this.layoutInterface = layoutInterface;
            this.bytes = bytes;
        }

        String layoutType() {
            return layoutInterface == null ? "AddressLayout" : "ValueLayout." + layoutInterface;
        }

        @Override
        public long size() {
            return bytes;
        }

        @Override
        public long align() {
            return bytes;
        }
    }

    /** {@code T name[length]}; {@code flexible} for {@code T name[]} (length 0). */
    record Array(Type element, long length, boolean flexible) implements Type {
        @Override
        public long size() {
            return element.size() * length;
        }

        @Override
        public long align() {
            return element.align();
        }
    }

    /** A record that has a Java class of its own (top-level or nested). */
    record RecordRef(Record record) implements Type {
        @Override
        public long size() {
            return record.size;
        }

        @Override
        public long align() {
            return record.align;
        }
    }

    /** Something Java has no value layout for ({@code long double}, {@code __int128}): bytes. */
    record Opaque(long size, long align) implements Type {}

    /** A direct member of a record. */
    sealed interface Member permits Field, BitField, Anonymous {}

    /** @param declaration the C declaration for the javadoc ({@code __u8 padding1[6]}) */
    record Field(String name, long offset, Type type, String declaration) implements Member {}

    /**
     * @param name      empty for an unnamed (padding) bitfield
     * @param bitOffset from the start of the record that holds it
     * @param unitBytes sizeof the declared type
     */
    record BitField(String name, long bitOffset, int width, int unitBytes, boolean signed, String declaration)
            implements Member {}

    /** An anonymous struct/union member: its fields are members of the enclosing record in C. */
    record Anonymous(Record record, long offset) implements Member {}

    /** A struct or union. */
    static final class Record {
        /** How C names the type: {@code struct kvm_run}, {@code Elf64_Ehdr}; for nested types a typeof expression. */
        String cType;
        /** The C tag or typedef name ({@code kvm_run}); the field name for nested types. */
        String cName;
        /** Simple Java class name; null for anonymous members, which have no class. */
        String javaName;
        boolean union;
        long size;
        long align;
        final List<Member> members = new ArrayList<>();
        /** Classes nested in this one: the anonymous types of named fields. */
        final List<Record> nested = new ArrayList<>();
        /** The record whose class encloses this one's, or null for top-level classes. */
        Record enclosing;
        /** Where the declaration is, for messages only. */
        String origin;

        /** Java binary name relative to the package ({@code KvmRun$Hw}). */
        String binaryName() {
            return enclosing == null ? javaName : enclosing.binaryName() + "$" + javaName;
        }

        /** Java source name relative to the package ({@code KvmRun.Hw}). */
        String sourceName() {
            return enclosing == null ? javaName : enclosing.sourceName() + "." + javaName;
        }

        @Override
        public String toString() {
            return cType;
        }
    }

    /**
     * A function to bind.
     *
     * @param result   null for void
     * @param variants the extra argument lists of a variadic function's additional handles
     */
    record Function(String name, String prototype, Scalar result, List<Scalar> parameters, boolean variadic,
                    List<List<Scalar>> variants) {}
}
