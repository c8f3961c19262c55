package dev.jktstr.bindgen;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Layer 2: a {@code CXType} with the queries the generator needs.
 *
 * @param clang   the session the type lives in
 * @param segment the 24-byte {@code CXType}
 */
record ClangType(Clang clang, MemorySegment segment) {

    int kind() {
        return segment.get(JAVA_INT, 0);
    }

    String spelling() {
        return clang.string((MemorySegment) clang.call(LibClang.getTypeSpelling, segment));
    }

    ClangType canonical() {
        return wrap(LibClang.getCanonicalType);
    }

    /** The declaration of a record, enum or typedef type; a null cursor for other types. */
    Cursor declaration(TranslationUnit unit) {
        return new Cursor(unit, (MemorySegment) clang.call(LibClang.getTypeDeclaration, segment));
    }

    /** sizeof in bytes; negative for incomplete, dependent or invalid types. */
    long sizeOf() {
        return (long) clang.call(LibClang.typeGetSizeOf, segment);
    }

    /** alignof in bytes; negative for incomplete, dependent or invalid types. */
    long alignOf() {
        return (long) clang.call(LibClang.typeGetAlignOf, segment);
    }

    /** offsetof in bits of a field reachable by name, also through anonymous members; negative if none. */
    long offsetOfBits(String field) {
        return (long) clang.call(LibClang.typeGetOffsetOf, segment, clang.arena().allocateFrom(field));
    }

    ClangType elementType() {
        return wrap(LibClang.getArrayElementType);
    }

    long arraySize() {
        return (long) clang.call(LibClang.getArraySize, segment);
    }

    ClangType pointee() {
        return wrap(LibClang.getPointeeType);
    }

    ClangType resultType() {
        return wrap(LibClang.getResultType);
    }

    List<ClangType> argumentTypes() {
        int count = (int) clang.call(LibClang.getNumArgTypes, segment);
        List<ClangType> types = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            types.add(new ClangType(clang, (MemorySegment) clang.call(LibClang.getArgType, segment, i)));
        }
        return types;
    }

    boolean isVariadic() {
        return (int) clang.call(LibClang.isFunctionTypeVariadic, segment) != 0;
    }

    private ClangType wrap(java.lang.invoke.MethodHandle handle) {
        return new ClangType(clang, (MemorySegment) clang.call(handle, segment));
    }

    @Override
    public String toString() {
        return "ClangType[" + kind() + ", " + spelling() + "]";
    }
}
