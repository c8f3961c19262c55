package dev.jktstr.bindgen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Layer 2: a {@code CXCursor} (a copy owned by the session) with the queries the generator needs.
 *
 * @param unit    the translation unit the cursor belongs to
 * @param segment the 32-byte {@code CXCursor}
 */
record Cursor(TranslationUnit unit, MemorySegment segment) {

    private Clang clang() {
        return unit.clang();
    }

    int kind() {
        return segment.get(JAVA_INT, 0);
    }

    String spelling() {
        return clang().string((MemorySegment) clang().call(LibClang.getCursorSpelling, segment));
    }

    ClangType type() {
        return new ClangType(clang(), (MemorySegment) clang().call(LibClang.getCursorType, segment));
    }

    List<Cursor> children() {
        return clang().children(this);
    }

    boolean isNull() {
        return flag(LibClang.cursorIsNull);
    }

    boolean isDefinition() {
        return flag(LibClang.isCursorDefinition);
    }

    boolean isInvalidDeclaration() {
        return flag(LibClang.isInvalidDeclaration);
    }

    /** A record without a tag name (it may still be named by a typedef, or be the type of a named field). */
    boolean isAnonymous() {
        return flag(LibClang.cursorIsAnonymous);
    }

    /** An anonymous struct/union member: no tag and no field name, its fields belong to the enclosing record. */
    boolean isAnonymousRecordDecl() {
        return flag(LibClang.cursorIsAnonymousRecordDecl);
    }

    boolean isBitField() {
        return flag(LibClang.cursorIsBitField);
    }

    int bitWidth() {
        return (int) clang().call(LibClang.getFieldDeclBitWidth, segment);
    }

    /** Offset of a field in bits from the start of the record that declares it, negative on error. */
    long offsetOfFieldBits() {
        return (long) clang().call(LibClang.cursorGetOffsetOfField, segment);
    }

    boolean isMacroFunctionLike() {
        return flag(LibClang.cursorIsMacroFunctionLike);
    }

    boolean isMacroBuiltin() {
        return flag(LibClang.cursorIsMacroBuiltin);
    }

    ClangType typedefUnderlyingType() {
        return new ClangType(clang(), (MemorySegment) clang().call(LibClang.getTypedefDeclUnderlyingType, segment));
    }

    ClangType enumIntegerType() {
        return new ClangType(clang(), (MemorySegment) clang().call(LibClang.getEnumDeclIntegerType, segment));
    }

    long enumConstantValue() {
        return (long) clang().call(LibClang.getEnumConstantDeclValue, segment);
    }

    long enumConstantUnsignedValue() {
        return (long) clang().call(LibClang.getEnumConstantDeclUnsignedValue, segment);
    }

    /** The file that holds the cursor, as clang resolved it (empty for built-ins and the command line). */
    String fileName() {
        MemorySegment location = (MemorySegment) clang().call(LibClang.getCursorLocation, segment);
        MemorySegment file = clang().arena().allocate(ADDRESS);
        clang().call(LibClang.getFileLocation, location, file, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL);
        MemorySegment handle = file.get(ADDRESS, 0);
        if (handle.equals(MemorySegment.NULL)) {
            return "";
        }
        return clang().string((MemorySegment) clang().call(LibClang.getFileName, handle));
    }

    /** The spellings of the cursor's tokens; for a macro definition, its name followed by its body. */
    List<String> tokens() {
        return unit.tokens(this);
    }

    /** Evaluates the cursor as clang would a constant expression; empty unless it is an integer. */
    java.util.OptionalLong evaluateInteger(boolean[] unsignedOut) {
        MemorySegment result = (MemorySegment) clang().call(LibClang.cursorEvaluate, segment);
        if (result.equals(MemorySegment.NULL)) {
            return java.util.OptionalLong.empty();
        }
        try {
            if ((int) clang().call(LibClang.evalResultGetKind, result) != LibClang.EVAL_INT) {
                return java.util.OptionalLong.empty();
            }
            boolean unsigned = (int) clang().call(LibClang.evalResultIsUnsignedInt, result) != 0;
            unsignedOut[0] = unsigned;
            return java.util.OptionalLong.of(unsigned
                    ? (long) clang().call(LibClang.evalResultGetAsUnsigned, result)
                    : (long) clang().call(LibClang.evalResultGetAsLongLong, result));
        } finally {
            clang().call(LibClang.evalResultDispose, result);
        }
    }

    private boolean flag(java.lang.invoke.MethodHandle handle) {
        return (int) clang().call(handle, segment) != 0;
    }

    @Override
    public String toString() {
        return "Cursor[kind=" + kind() + ", " + spelling() + "]";
    }
}
