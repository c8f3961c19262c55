package dev.jktstr.bindgen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Layer 2: one parsed {@code CXTranslationUnit}; disposed by the {@link Clang} session that parsed it. */
@SuppressWarnings("restricted") // the token array libclang returns
final class TranslationUnit {

    /** {@code CXDiagnostic_DisplaySourceLocation | CXDiagnostic_DisplayColumn}: "file:line:col: error: text". */
    private static final int DIAGNOSTIC_FORMAT = 0x1 | 0x2;

    private final Clang clang;
    private MemorySegment pointer;

    TranslationUnit(Clang clang, MemorySegment pointer) {
        this.clang = clang;
        this.pointer = pointer;
    }

    Clang clang() {
        return clang;
    }

    Cursor cursor() {
        return new Cursor(this, (MemorySegment) clang.call(LibClang.getTranslationUnitCursor, pointer));
    }

    /** Errors and fatal errors, formatted as clang prints them; warnings are left out. */
    List<String> errors() {
        int count = (int) clang.call(LibClang.getNumDiagnostics, pointer);
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MemorySegment diagnostic = (MemorySegment) clang.call(LibClang.getDiagnostic, pointer, i);
            try {
                if ((int) clang.call(LibClang.getDiagnosticSeverity, diagnostic) >= LibClang.DIAGNOSTIC_ERROR) {
                    errors.add(clang.string((MemorySegment) clang.call(LibClang.formatDiagnostic, diagnostic, DIAGNOSTIC_FORMAT)));
                }
            } finally {
                clang.call(LibClang.disposeDiagnostic, diagnostic);
            }
        }
        return errors;
    }

    /** The spellings of the tokens that make up {@code cursor}'s extent (for a macro: its name and body). */
    List<String> tokens(Cursor cursor) {
        MemorySegment range = (MemorySegment) clang.call(LibClang.getCursorExtent, cursor.segment());
        MemorySegment tokensOut = clang.arena().allocate(ADDRESS);
        MemorySegment countOut = clang.arena().allocate(JAVA_INT);
        clang.call(LibClang.tokenize, pointer, range, tokensOut, countOut);
        int count = countOut.get(JAVA_INT, 0);
        MemorySegment tokens = tokensOut.get(ADDRESS, 0);
        List<String> spellings = new ArrayList<>(count);
        if (count == 0) {
            return spellings;
        }
        try {
            MemorySegment array = tokens.reinterpret(LibClang.CX_TOKEN.byteSize() * count);
            for (int i = 0; i < count; i++) {
                MemorySegment token = array.asSlice(i * LibClang.CX_TOKEN.byteSize(), LibClang.CX_TOKEN);
                spellings.add(clang.string((MemorySegment) clang.call(LibClang.getTokenSpelling, pointer, token)));
            }
        } finally {
            clang.call(LibClang.disposeTokens, pointer, tokens, count);
        }
        return spellings;
    }

    void dispose() {
        if (pointer != null) {
            clang.call(LibClang.disposeTranslationUnit, pointer);
            pointer = null;
        }
    }
}
