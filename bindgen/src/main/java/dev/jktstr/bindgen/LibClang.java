package dev.jktstr.bindgen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Layer 1: hand-written FFM bindings to the libclang C API ({@code clang-c/Index.h}), only the functions
 * the generator uses. Names follow the C API without the {@code clang_} prefix; by-value structs
 * ({@code CXCursor}, {@code CXType}, ...) are {@link MemorySegment}s of the layouts below, and the
 * handles that return one take a {@link java.lang.foreign.SegmentAllocator} first.
 *
 * <p>The library is found once: the system property {@code jktstr.libclang} if set, else Debian's
 * {@code libclang-19.so.1} (package libclang1-19).
 */
@SuppressWarnings("restricted") // binding libclang is what this class is for
final class LibClang {

    /** Where Debian's libclang1-19 puts the library; the first that exists is used. */
    static final List<Path> DEFAULT_LIBRARY_PATHS = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu/libclang-19.so.1"),
            Path.of("/usr/lib/llvm-19/lib/libclang-19.so.1"),
            Path.of("/usr/lib/llvm-19/lib/libclang.so.1"));

    /** clang's own headers (stddef.h, stdarg.h ...), from Debian's libclang-common-19-dev. */
    static final List<Path> DEFAULT_RESOURCE_DIRS = List.of(
            Path.of("/usr/lib/llvm-19/lib/clang/19"),
            Path.of("/usr/lib/clang/19"));

    static final String MISSING_HINT = "libclang-19.so.1 cannot be loaded: install the Debian package libclang1-19"
            + " (apt-get install libclang1-19 libclang-common-19-dev), or point -Djktstr.libclang at a libclang.so";

    // --- by-value structs ---------------------------------------------------------------------------------
    static final StructLayout CX_STRING = MemoryLayout.structLayout(
            ADDRESS.withName("data"), JAVA_INT.withName("private_flags"), MemoryLayout.paddingLayout(4));
    static final StructLayout CX_CURSOR = MemoryLayout.structLayout(
            JAVA_INT.withName("kind"), JAVA_INT.withName("xdata"), MemoryLayout.sequenceLayout(3, ADDRESS).withName("data"));
    static final StructLayout CX_TYPE = MemoryLayout.structLayout(
            JAVA_INT.withName("kind"), MemoryLayout.paddingLayout(4), MemoryLayout.sequenceLayout(2, ADDRESS).withName("data"));
    static final StructLayout CX_SOURCE_LOCATION = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(2, ADDRESS).withName("ptr_data"), JAVA_INT.withName("int_data"),
            MemoryLayout.paddingLayout(4));
    static final StructLayout CX_SOURCE_RANGE = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(2, ADDRESS).withName("ptr_data"), JAVA_INT.withName("begin_int_data"),
            JAVA_INT.withName("end_int_data"));
    static final StructLayout CX_TOKEN = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("int_data"), ADDRESS.withName("ptr_data"));
    static final StructLayout CX_UNSAVED_FILE = MemoryLayout.structLayout(
            ADDRESS.withName("Filename"), ADDRESS.withName("Contents"), JAVA_LONG.withName("Length"));

    // --- enum values (Index.h) --------------------------------------------------------------------------
    static final int CURSOR_STRUCT_DECL = 2;
    static final int CURSOR_UNION_DECL = 3;
    static final int CURSOR_ENUM_DECL = 5;
    static final int CURSOR_FIELD_DECL = 6;
    static final int CURSOR_ENUM_CONSTANT_DECL = 7;
    static final int CURSOR_FUNCTION_DECL = 8;
    static final int CURSOR_VAR_DECL = 9;
    static final int CURSOR_PARM_DECL = 10;
    static final int CURSOR_TYPEDEF_DECL = 20;
    static final int CURSOR_MACRO_DEFINITION = 501;

    static final int TYPE_INVALID = 0;
    static final int TYPE_VOID = 2;
    static final int TYPE_BOOL = 3;
    static final int TYPE_CHAR_U = 4;
    static final int TYPE_UCHAR = 5;
    static final int TYPE_USHORT = 8;
    static final int TYPE_UINT = 9;
    static final int TYPE_ULONG = 10;
    static final int TYPE_ULONGLONG = 11;
    static final int TYPE_UINT128 = 12;
    static final int TYPE_CHAR_S = 13;
    static final int TYPE_SCHAR = 14;
    static final int TYPE_SHORT = 16;
    static final int TYPE_INT = 17;
    static final int TYPE_LONG = 18;
    static final int TYPE_LONGLONG = 19;
    static final int TYPE_INT128 = 20;
    static final int TYPE_FLOAT = 21;
    static final int TYPE_DOUBLE = 22;
    static final int TYPE_POINTER = 101;
    static final int TYPE_RECORD = 105;
    static final int TYPE_ENUM = 106;
    static final int TYPE_FUNCTION_NO_PROTO = 110;
    static final int TYPE_FUNCTION_PROTO = 111;
    static final int TYPE_CONSTANT_ARRAY = 112;
    static final int TYPE_INCOMPLETE_ARRAY = 114;

    static final int PARSE_DETAILED_PREPROCESSING_RECORD = 0x01;
    static final int PARSE_SKIP_FUNCTION_BODIES = 0x40;
    static final int DIAGNOSTIC_ERROR = 3;
    static final int EVAL_INT = 1;
    static final int CHILD_VISIT_CONTINUE = 1;

    /** The visitor signature: {@code enum CXChildVisitResult (*)(CXCursor, CXCursor, CXClientData)}. */
    static final FunctionDescriptor VISITOR = FunctionDescriptor.of(JAVA_INT, CX_CURSOR, CX_CURSOR, ADDRESS);

    private static boolean crashRecoveryDisabled;
    private static final List<String> LOAD_FAILURES = new ArrayList<>();
    private static final Optional<SymbolLookup> LIBRARY = load();

    // --- functions --------------------------------------------------------------------------------------
    static final MethodHandle createIndex = handle("clang_createIndex", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT));
    static final MethodHandle toggleCrashRecovery = handle("clang_toggleCrashRecovery", FunctionDescriptor.ofVoid(JAVA_INT));
    static final MethodHandle disposeIndex = handle("clang_disposeIndex", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle parseTranslationUnit2 = handle("clang_parseTranslationUnit2", FunctionDescriptor.of(
            JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle disposeTranslationUnit = handle("clang_disposeTranslationUnit", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle getNumDiagnostics = handle("clang_getNumDiagnostics", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle getDiagnostic = handle("clang_getDiagnostic", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    static final MethodHandle getDiagnosticSeverity = handle("clang_getDiagnosticSeverity", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle formatDiagnostic = handle("clang_formatDiagnostic", FunctionDescriptor.of(CX_STRING, ADDRESS, JAVA_INT));
    static final MethodHandle disposeDiagnostic = handle("clang_disposeDiagnostic", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle getTranslationUnitCursor = handle("clang_getTranslationUnitCursor", FunctionDescriptor.of(CX_CURSOR, ADDRESS));
    static final MethodHandle visitChildren = handle("clang_visitChildren", FunctionDescriptor.of(JAVA_INT, CX_CURSOR, ADDRESS, ADDRESS));

    static final MethodHandle getCString = handle("clang_getCString", FunctionDescriptor.of(ADDRESS, CX_STRING));
    static final MethodHandle disposeString = handle("clang_disposeString", FunctionDescriptor.ofVoid(CX_STRING));

    static final MethodHandle getCursorKind = handle("clang_getCursorKind", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle getCursorSpelling = handle("clang_getCursorSpelling", FunctionDescriptor.of(CX_STRING, CX_CURSOR));
    static final MethodHandle getCursorType = handle("clang_getCursorType", FunctionDescriptor.of(CX_TYPE, CX_CURSOR));
    static final MethodHandle getCursorLocation = handle("clang_getCursorLocation", FunctionDescriptor.of(CX_SOURCE_LOCATION, CX_CURSOR));
    static final MethodHandle getCursorExtent = handle("clang_getCursorExtent", FunctionDescriptor.of(CX_SOURCE_RANGE, CX_CURSOR));
    static final MethodHandle isCursorDefinition = handle("clang_isCursorDefinition", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle isInvalidDeclaration = handle("clang_isInvalidDeclaration", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle cursorIsNull = handle("clang_Cursor_isNull", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle cursorIsAnonymous = handle("clang_Cursor_isAnonymous", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle cursorIsAnonymousRecordDecl = handle("clang_Cursor_isAnonymousRecordDecl", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle cursorIsBitField = handle("clang_Cursor_isBitField", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle getFieldDeclBitWidth = handle("clang_getFieldDeclBitWidth", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle cursorGetOffsetOfField = handle("clang_Cursor_getOffsetOfField", FunctionDescriptor.of(JAVA_LONG, CX_CURSOR));
    static final MethodHandle cursorIsMacroFunctionLike = handle("clang_Cursor_isMacroFunctionLike", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle cursorIsMacroBuiltin = handle("clang_Cursor_isMacroBuiltin", FunctionDescriptor.of(JAVA_INT, CX_CURSOR));
    static final MethodHandle getTypedefDeclUnderlyingType = handle("clang_getTypedefDeclUnderlyingType", FunctionDescriptor.of(CX_TYPE, CX_CURSOR));
    static final MethodHandle getEnumDeclIntegerType = handle("clang_getEnumDeclIntegerType", FunctionDescriptor.of(CX_TYPE, CX_CURSOR));
    static final MethodHandle getEnumConstantDeclValue = handle("clang_getEnumConstantDeclValue", FunctionDescriptor.of(JAVA_LONG, CX_CURSOR));
    static final MethodHandle getEnumConstantDeclUnsignedValue = handle("clang_getEnumConstantDeclUnsignedValue", FunctionDescriptor.of(JAVA_LONG, CX_CURSOR));

    static final MethodHandle cursorEvaluate = handle("clang_Cursor_Evaluate", FunctionDescriptor.of(ADDRESS, CX_CURSOR));
    static final MethodHandle evalResultGetKind = handle("clang_EvalResult_getKind", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle evalResultIsUnsignedInt = handle("clang_EvalResult_isUnsignedInt", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle evalResultGetAsLongLong = handle("clang_EvalResult_getAsLongLong", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    static final MethodHandle evalResultGetAsUnsigned = handle("clang_EvalResult_getAsUnsigned", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    static final MethodHandle evalResultDispose = handle("clang_EvalResult_dispose", FunctionDescriptor.ofVoid(ADDRESS));

    static final MethodHandle getFileLocation = handle("clang_getFileLocation", FunctionDescriptor.ofVoid(
            CX_SOURCE_LOCATION, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle getFileName = handle("clang_getFileName", FunctionDescriptor.of(CX_STRING, ADDRESS));
    static final MethodHandle tokenize = handle("clang_tokenize", FunctionDescriptor.ofVoid(ADDRESS, CX_SOURCE_RANGE, ADDRESS, ADDRESS));
    static final MethodHandle getTokenSpelling = handle("clang_getTokenSpelling", FunctionDescriptor.of(CX_STRING, ADDRESS, CX_TOKEN));
    static final MethodHandle disposeTokens = handle("clang_disposeTokens", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT));

    static final MethodHandle getTypeSpelling = handle("clang_getTypeSpelling", FunctionDescriptor.of(CX_STRING, CX_TYPE));
    static final MethodHandle getCanonicalType = handle("clang_getCanonicalType", FunctionDescriptor.of(CX_TYPE, CX_TYPE));
    static final MethodHandle getTypeDeclaration = handle("clang_getTypeDeclaration", FunctionDescriptor.of(CX_CURSOR, CX_TYPE));
    static final MethodHandle typeGetSizeOf = handle("clang_Type_getSizeOf", FunctionDescriptor.of(JAVA_LONG, CX_TYPE));
    static final MethodHandle typeGetAlignOf = handle("clang_Type_getAlignOf", FunctionDescriptor.of(JAVA_LONG, CX_TYPE));
    static final MethodHandle typeGetOffsetOf = handle("clang_Type_getOffsetOf", FunctionDescriptor.of(JAVA_LONG, CX_TYPE, ADDRESS));
    static final MethodHandle getArrayElementType = handle("clang_getArrayElementType", FunctionDescriptor.of(CX_TYPE, CX_TYPE));
    static final MethodHandle getArraySize = handle("clang_getArraySize", FunctionDescriptor.of(JAVA_LONG, CX_TYPE));
    static final MethodHandle getPointeeType = handle("clang_getPointeeType", FunctionDescriptor.of(CX_TYPE, CX_TYPE));
    static final MethodHandle getResultType = handle("clang_getResultType", FunctionDescriptor.of(CX_TYPE, CX_TYPE));
    static final MethodHandle getNumArgTypes = handle("clang_getNumArgTypes", FunctionDescriptor.of(JAVA_INT, CX_TYPE));
    static final MethodHandle getArgType = handle("clang_getArgType", FunctionDescriptor.of(CX_TYPE, CX_TYPE, JAVA_INT));
    static final MethodHandle isFunctionTypeVariadic = handle("clang_isFunctionTypeVariadic", FunctionDescriptor.of(JAVA_INT, CX_TYPE));

    private LibClang() {}

    /**
     * Keeps libclang's crash recovery off. It installs SIGSEGV/SIGBUS handlers when an index is created,
     * and those re-raise every fault they do not own, including the ones HotSpot takes on purpose
     * (implicit null checks, safepoint polls): the JVM then dies of a "SIGSEGV sent by kill". Setting
     * LIBCLANG_DISABLE_CRASH_RECOVERY before the first index means the handlers are never installed.
     */
    static synchronized void disableCrashRecovery() {
        if (crashRecoveryDisabled) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().findOrThrow("setenv"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int result = (int) setenv.invokeExact(arena.allocateFrom("LIBCLANG_DISABLE_CRASH_RECOVERY"),
                    arena.allocateFrom("1"), 1);
            if (result != 0) {
                throw new IllegalStateException("setenv(LIBCLANG_DISABLE_CRASH_RECOVERY) failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        crashRecoveryDisabled = true;
    }

    /** Whether libclang was found and loaded; the handles above are null otherwise. */
    static boolean isAvailable() {
        return LIBRARY.isPresent();
    }

    /** Throws {@link BindgenException} naming the Debian package when libclang is missing. */
    static void requireAvailable() {
        if (LIBRARY.isEmpty()) {
            throw new BindgenException(MISSING_HINT + " (looked at " + candidates()
                    + (LOAD_FAILURES.isEmpty() ? "" : "; " + String.join("; ", LOAD_FAILURES)) + ")");
        }
    }

    /** The {@code -resource-dir} to hand clang, so its own stddef.h and friends resolve. */
    static Optional<Path> resourceDir() {
        String configured = System.getProperty("jktstr.libclang.resourceDir", "");
        if (!configured.isEmpty()) {
            return Optional.of(Path.of(configured));
        }
        return DEFAULT_RESOURCE_DIRS.stream().filter(dir -> Files.isDirectory(dir.resolve("include"))).findFirst();
    }

    private static List<Path> candidates() {
        String configured = System.getProperty("jktstr.libclang", "");
        if (!configured.isEmpty()) {
            return List.of(Path.of(configured));
        }
        return DEFAULT_LIBRARY_PATHS;
    }

    private static Optional<SymbolLookup> load() {
        for (Path path : candidates()) {
            if (!Files.exists(path)) {
                continue;
            }
            try {
                return Optional.of(SymbolLookup.libraryLookup(path, Arena.global()));
            } catch (IllegalArgumentException e) {
                LOAD_FAILURES.add(path + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        return LIBRARY.map(lookup -> Linker.nativeLinker().downcallHandle(lookup.findOrThrow(name), descriptor))
                .orElse(null);
    }
}
