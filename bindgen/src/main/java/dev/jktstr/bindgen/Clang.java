package dev.jktstr.bindgen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

/**
 * Layer 2: one libclang session: a {@code CXIndex}, the translation units parsed through it and the
 * memory every cursor, type and string of the session lives in. Closing it disposes all of them.
 * Confined to the thread that opened it, like the libclang index itself.
 */
@SuppressWarnings("restricted") // the visitor upcall stub
final class Clang implements AutoCloseable {

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment index;
    private final MemorySegment visitor;
    private final List<TranslationUnit> units = new ArrayList<>();
    /** Where the single visitor upcall copies the children of the cursor being visited. */
    private List<MemorySegment> sink;

    private Clang() {
        LibClang.disableCrashRecovery();
        index = (MemorySegment) call(LibClang.createIndex, 0, 0);
        call(LibClang.toggleCrashRecovery, 0); // and should the variable be ignored, switch it off at once
        try {
            MethodHandle visit = MethodHandles.lookup().findVirtual(Clang.class, "visit",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, MemorySegment.class));
            visitor = Linker.nativeLinker().upcallStub(visit.bindTo(this), LibClang.VISITOR, arena);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opens a session; throws {@link BindgenException} naming the Debian package if libclang is missing. */
    static Clang open() {
        LibClang.requireAvailable();
        return new Clang();
    }

    /**
     * Parses {@code contents} as the in-memory file {@code fileName} with the given clang arguments.
     * Diagnostics are left to the caller ({@link TranslationUnit#errors()}).
     */
    TranslationUnit parse(String fileName, String contents, List<String> args, int options) {
        MemorySegment argv = arena.allocate(ADDRESS, args.size());
        for (int i = 0; i < args.size(); i++) {
            argv.setAtIndex(ADDRESS, i, arena.allocateFrom(args.get(i)));
        }
        MemorySegment name = arena.allocateFrom(fileName);
        MemorySegment text = arena.allocateFrom(contents);
        MemorySegment unsaved = arena.allocate(LibClang.CX_UNSAVED_FILE);
        unsaved.set(ADDRESS, 0, name);
        unsaved.set(ADDRESS, 8, text);
        unsaved.set(java.lang.foreign.ValueLayout.JAVA_LONG, 16, text.byteSize() - 1);
        MemorySegment out = arena.allocate(ADDRESS);
        int error = (int) call(LibClang.parseTranslationUnit2, index, name, argv, args.size(), unsaved, 1, options, out);
        if (error != 0) {
            throw new BindgenException("libclang could not parse " + fileName + " (CXErrorCode " + error
                    + ") with arguments " + args);
        }
        TranslationUnit unit = new TranslationUnit(this, out.get(ADDRESS, 0));
        units.add(unit);
        return unit;
    }

    /** The children of {@code parent}, in the order libclang visits them. */
    List<Cursor> children(Cursor parent) {
        List<MemorySegment> collected = new ArrayList<>();
        sink = collected;
        try {
            call(LibClang.visitChildren, parent.segment(), visitor, MemorySegment.NULL);
        } finally {
            sink = null;
        }
        List<Cursor> children = new ArrayList<>(collected.size());
        for (MemorySegment segment : collected) {
            children.add(new Cursor(parent.unit(), segment));
        }
        return children;
    }

    /** The upcall: copy the cursor (only valid during the call) and go on with its next sibling. */
    @SuppressWarnings("unused")
    private int visit(MemorySegment cursor, MemorySegment parent, MemorySegment data) {
        sink.add(arena.allocate(LibClang.CX_CURSOR).copyFrom(cursor));
        return LibClang.CHILD_VISIT_CONTINUE;
    }

    /** Reads and disposes a {@code CXString}. */
    String string(MemorySegment cxString) {
        try {
            MemorySegment chars = (MemorySegment) call(LibClang.getCString, cxString);
            return chars.equals(MemorySegment.NULL) ? "" : chars.reinterpret(Long.MAX_VALUE).getString(0);
        } finally {
            call(LibClang.disposeString, cxString);
        }
    }

    Arena arena() {
        return arena;
    }

    /** Calls a libclang handle; by-value results are allocated in this session's arena. */
    Object call(MethodHandle handle, Object... args) {
        try {
            if (handle.type().parameterCount() > 0
                    && handle.type().parameterType(0) == java.lang.foreign.SegmentAllocator.class) {
                Object[] withAllocator = new Object[args.length + 1];
                withAllocator[0] = arena;
                System.arraycopy(args, 0, withAllocator, 1, args.length);
                return handle.invokeWithArguments(withAllocator);
            }
            return handle.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("libclang call failed", e);
        }
    }

    MemorySegment allocateInt() {
        return arena.allocate(JAVA_INT);
    }

    @Override
    public void close() {
        for (int i = units.size() - 1; i >= 0; i--) {
            units.get(i).dispose();
        }
        units.clear();
        call(LibClang.disposeIndex, index);
        arena.close();
    }
}
