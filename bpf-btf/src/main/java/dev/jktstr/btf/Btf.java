package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import dev.jktstr.btf.elf.Elf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Kernel type information (BTF) over a {@link MemorySegment}, indexed lazily.
 *
 * <p>Opening checks the header ({@link BtfSections}) and does one pass over the type section that
 * checks every record's kind and extent and remembers where each type starts ({@link BtfTypeRecords});
 * nothing else is decoded. Types decode on demand ({@link #type}, {@link BtfTypeDecoder}), names are
 * compared as bytes in place ({@link BtfStrings}), and the name index ({@link BtfNameIndex}) is built on
 * the first lookup by name. Sizes and alignments come from {@link BtfLayout}, field paths from
 * {@link BtfFieldPathResolver}. Split BTF (a kernel module's or a program's BTF on top of vmlinux BTF)
 * numbers its types after the base's and refers to the base's strings and types transparently.
 *
 * <p>A {@code Btf} is safe for concurrent reads. One returned by {@link #load(Path)} owns the mapping
 * of its file and releases it on {@link #close()}; the others borrow the segment they were given.
 */
public final class Btf implements AutoCloseable {

    /** Longest typedef/modifier chain followed before the data is declared to contain a loop. */
    static final int MAX_CHAIN = 64;

    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final MemorySegment data;
    private final boolean bigEndian;
    private final Btf base;
    private final Arena owned;
    private final int firstId;
    private final int count;
    private final int[] offsets;
    private final BtfStrings strings;
    private final BtfLayout layout;

    private volatile BtfNameIndex nameIndex;

    private Btf(MemorySegment data, Btf base, Arena owned) {
        this.data = data;
        this.base = base;
        this.owned = owned;
        BtfSections sections = BtfSections.read(data, base);
        bigEndian = sections.bigEndian();
        strings = new BtfStrings(data, sections.strStart(), sections.strLen(), base == null ? null : base.strings);
        firstId = base == null ? 1 : base.typeCount();
        BtfTypeRecords records = new BtfTypeRecords(data, sections, firstId);
        count = records.count;
        offsets = records.offsets;
        layout = new BtfLayout(this);
    }

    // ---------------------------------------------------------------- factories

    /**
     * Loads BTF from a file: raw BTF (the {@code /sys/kernel/btf/vmlinux} format), an ELF file with a
     * {@code .BTF} section (vmlinux, a module, a BPF object) or an x86 bzImage (decompressed first).
     * The file is mapped, not read; {@link #close()} releases the mapping.
     */
    public static Btf load(Path file) {
        return load(file, null);
    }

    /** Like {@link #load(Path)}, for split BTF on top of {@code base} (e.g. {@code /sys/kernel/btf/<module>}). */
    public static Btf load(Path file, Btf base) {
        Arena arena = Arena.ofShared();
        try {
            return new Btf(BtfLoader.load(file, arena), base, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** BTF over raw BTF data in {@code segment}; the segment must stay valid while this is used. */
    public static Btf of(MemorySegment segment) {
        return new Btf(segment, null, null);
    }

    /** Split BTF over raw BTF data whose type ids continue {@code base}'s. */
    public static Btf of(MemorySegment segment, Btf base) {
        return new Btf(segment, Objects.requireNonNull(base, "base"), null);
    }

    /** BTF over a copy-free view of raw BTF bytes (e.g. read from guest memory). */
    public static Btf fromBytes(byte[] raw) {
        return new Btf(MemorySegment.ofArray(raw), null, null);
    }

    /** Split BTF over raw BTF bytes on top of {@code base}. */
    public static Btf fromBytes(byte[] raw, Btf base) {
        return new Btf(MemorySegment.ofArray(raw), Objects.requireNonNull(base, "base"), null);
    }

    /** BTF from the {@code .BTF} section of an ELF file; the ELF must stay open while this is used. */
    public static Btf fromElf(Elf elf) {
        return new Btf(BtfLoader.fromElf(elf), null, null);
    }

    /** Releases the file mapping if this instance owns one; using this afterwards fails. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    // ---------------------------------------------------------------- raw access

    private int u32(long off) {
        return bigEndian ? data.get(INT_BE, off) : data.get(INT_LE, off);
    }

    boolean bigEndian() {
        return bigEndian;
    }

    BtfStrings strings() {
        return strings;
    }

    /** The owner of type {@code id} (this or a base), or an exception if there is no such type. */
    private Btf owner(int id) {
        Btf b = this;
        while (id < b.firstId) {
            b = b.base;
            if (b == null) {
                throw new BtfFormatException("invalid BTF type id " + id);
            }
        }
        if (id - b.firstId >= b.count) {
            throw new BtfFormatException("BTF type id " + id + " out of range (last is " + (typeCount() - 1) + ")");
        }
        return b;
    }

    /** The u32 at byte {@code at} of type {@code id}'s record (0 name_off, 4 info, 8 size/type, 12.. extra). */
    int raw(int id, int at) {
        Btf b = owner(id);
        return b.u32(b.offsets[id - b.firstId] + (long) at);
    }

    /** Kind number of a type; 0 for void (id 0). */
    int kindOf(int id) {
        return id == 0 ? 0 : (raw(id, 4) >>> 24) & 0x1f;
    }

    int vlen(int id) {
        return raw(id, 4) & 0xffff;
    }

    boolean kflag(int id) {
        return raw(id, 4) < 0;
    }

    int nameOff(int id) {
        return id == 0 ? 0 : raw(id, 0);
    }

    /** size (INT, STRUCT, UNION, ENUM*, DATASEC, FLOAT) or referenced type (the others). */
    int sizeOrType(int id) {
        return raw(id, 8);
    }

    int memberNameOff(int id, int i) {
        return raw(id, 12 + 12 * i);
    }

    int memberType(int id, int i) {
        return raw(id, 16 + 12 * i);
    }

    long memberBitOffset(int id, int i) {
        int off = raw(id, 20 + 12 * i);
        return kflag(id) ? off & 0xffffff : Integer.toUnsignedLong(off);
    }

    int memberBitfieldSize(int id, int i) {
        return kflag(id) ? raw(id, 20 + 12 * i) >>> 24 : 0;
    }

    int arrayType(int id) {
        return raw(id, 12);
    }

    int arrayIndexType(int id) {
        return raw(id, 16);
    }

    long arrayLength(int id) {
        return Integer.toUnsignedLong(raw(id, 20));
    }

    /** Enumerator value as the kernel stores it: sign-extended if the enum is signed, else zero-extended. */
    long enumValue(int id, int i) {
        if (kindOf(id) == BTF_KIND_ENUM64) {
            return Integer.toUnsignedLong(raw(id, 16 + 12 * i)) | ((long) raw(id, 20 + 12 * i) << 32);
        }
        int v = raw(id, 16 + 8 * i);
        return kflag(id) ? v : Integer.toUnsignedLong(v);
    }

    int enumNameOff(int id, int i) {
        return kindOf(id) == BTF_KIND_ENUM64 ? raw(id, 12 + 12 * i) : raw(id, 12 + 8 * i);
    }

    int paramNameOff(int id, int i) {
        return raw(id, 12 + 8 * i);
    }

    int paramType(int id, int i) {
        return raw(id, 16 + 8 * i);
    }

    /** Checks that a referenced type id exists (throws otherwise) and returns it. */
    int ref(int id) {
        if (id != 0) {
            owner(id);
        }
        return id;
    }

    /** The string at {@code off} in the string section (base's for split BTF), or null if invalid. */
    String strOrNull(int off) {
        return strings.strOrNull(off);
    }

    /** The string at {@code off}; throws on an offset outside the string section. */
    String str(int off) {
        return strings.str(off);
    }

    /** Whether the NUL-terminated string at {@code off} equals {@code q} (UTF-8), without decoding it. */
    boolean strEquals(int off, byte[] q) {
        return strings.equals(off, q);
    }

    // ---------------------------------------------------------------- public queries

    /** Number of type ids including void, like libbpf's btf__type_cnt(): ids run from 0 to typeCount()-1. */
    public int typeCount() {
        return firstId + count;
    }

    /** First type id defined by this BTF: 1, or the base's {@link #typeCount()} for split BTF. */
    public int firstId() {
        return firstId;
    }

    /** The base BTF of split BTF, or null. */
    public Btf base() {
        return base;
    }

    /** The raw BTF data this reads (header, types, strings): for copying or hashing. */
    public MemorySegment rawData() {
        return data;
    }

    /** The kind of type {@code id}; {@code null} for void (id 0). */
    public BtfKind kind(int id) {
        return id == 0 ? null : BtfKind.of(kindOf(id));
    }

    /** The name of type {@code id}; {@code ""} when anonymous or void. */
    public String name(int id) {
        return id == 0 ? "" : str(nameOff(id));
    }

    /** Decodes type {@code id} (not void) in full. */
    public BtfType type(int id) {
        return BtfTypeDecoder.decode(this, id);
    }

    /** All types with exactly this name, in id order (base first). */
    public List<Integer> findAll(String name) {
        List<Integer> out = new ArrayList<>();
        if (base != null) {
            out.addAll(base.findAll(name));
        }
        nameIndex().findAll(name, out);
        return out;
    }

    /** The first type (lowest id) with this name, any kind. */
    public OptionalInt find(String name) {
        return find(name, null);
    }

    /** The first type (lowest id) with this name and kind ({@code null}: any kind). */
    public OptionalInt find(String name, BtfKind kind) {
        if (base != null) {
            OptionalInt b = base.find(name, kind);
            if (b.isPresent()) {
                return b;
            }
        }
        int id = nameIndex().find(name, kind);
        return id == 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Like {@link #find(String, BtfKind)} but throws {@link BtfLookupException} when absent. */
    public int require(String name, BtfKind kind) {
        return find(name, kind).orElseThrow(() -> new BtfLookupException(
                "no " + (kind == null ? "type" : kind.name()) + " named '" + name + "' in BTF"));
    }

    /** The index of this BTF's own named types, built on the first lookup by name. */
    private BtfNameIndex nameIndex() {
        BtfNameIndex t = nameIndex;
        if (t == null) {
            synchronized (this) {
                t = nameIndex;
                if (t == null) {
                    t = new BtfNameIndex(this);
                    nameIndex = t;
                }
            }
        }
        return t;
    }

    /** Follows TYPEDEF, CONST, VOLATILE, RESTRICT and TYPE_TAG to the underlying type. */
    public int resolve(int id) {
        for (int i = 0; i < MAX_CHAIN; i++) {
            switch (kindOf(id)) {
                case BTF_KIND_TYPEDEF, BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG ->
                        id = sizeOrType(id);
                default -> {
                    return id;
                }
            }
        }
        throw new BtfFormatException("type reference chain longer than " + MAX_CHAIN + " at id " + id + " (loop?)");
    }

    /** Follows CONST, VOLATILE, RESTRICT and TYPE_TAG only (keeps typedef names). */
    int skipModifiers(int id) {
        for (int i = 0; i < MAX_CHAIN; i++) {
            switch (kindOf(id)) {
                case BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG -> id = sizeOrType(id);
                default -> {
                    return id;
                }
            }
        }
        throw new BtfFormatException("type reference chain longer than " + MAX_CHAIN + " at id " + id + " (loop?)");
    }

    // ---------------------------------------------------------------- size and alignment

    /** Pointer size in bytes, guessed from the {@code long} integer types as libbpf does (default 8). */
    public int pointerSize() {
        return layout.pointerSize();
    }

    /**
     * Size in bytes of a type as libbpf's btf__resolve_size() computes it, or -1 if the type has no
     * size (void, FWD, FUNC, FUNC_PROTO) or it overflows.
     */
    long resolveSize(int id) {
        return layout.resolveSize(id);
    }

    /** {@code sizeof} of a type in bytes; throws for types without a size. */
    public long sizeOf(int id) {
        return layout.sizeOf(id);
    }

    /** {@code _Alignof} of a type in bytes; throws for types without an alignment. */
    public int alignOf(int id) {
        return layout.alignOf(id);
    }

    /** libbpf's btf__align_of(): 0 if unknown; 1 for structs whose layout shows they are packed. */
    int alignment(int id, int depth) {
        return layout.alignment(id, depth);
    }

    // ---------------------------------------------------------------- field paths

    /**
     * Resolves a field path whose first step names a type: {@code task_struct.se.sum_exec_runtime},
     * {@code rq.scx.local_dsq.nr}, {@code rq[3].nr_running}. Members of anonymous structs and unions are
     * found as in C; {@code [n]} steps index arrays.
     */
    public BtfField fieldPath(String path) {
        return new BtfFieldPathResolver(this).resolve(path);
    }

    /** Resolves {@code path} (e.g. {@code scx.nr_running} or {@code cpus[2].x}) inside type {@code rootType}. */
    public BtfField fieldPath(String rootType, String path) {
        return new BtfFieldPathResolver(this).resolve(rootType, path);
    }

    /** The type as C writes it in a cast, e.g. {@code u64}, {@code struct rq *}, {@code char[16]}. */
    public String typeName(int id) {
        return BtfCDump.declaration(this, id, "");
    }

    /** A C declaration of {@code name} with type {@code id}, e.g. {@code void (*fn)(int)}. */
    public String declaration(int id, String name) {
        return BtfCDump.declaration(this, id, name);
    }

    /**
     * Whether ARRAY {@code id} holds 1-byte chars ({@code char}, {@code signed char}, {@code unsigned char} or an
     * INT with the CHAR encoding, under const/volatile but not under a typedef: {@code u8[4]} is bytes): what
     * {@link #renderer()} writes as a string rather than as elements.
     */
    public boolean isCharArray(int id) {
        if (kindOf(id) != BTF_KIND_ARRAY) {
            return false;
        }
        int elem = skipModifiers(arrayType(id));
        if (kindOf(elem) != BTF_KIND_INT || sizeOrType(elem) != 1) {
            return false;
        }
        int enc = (raw(elem, 12) >>> 24) & 0xf;
        String name = strOrNull(nameOff(elem));
        return (enc & BTF_INT_CHAR) != 0 || "char".equals(name) || "signed char".equals(name) || "unsigned char".equals(name);
    }

    // ---------------------------------------------------------------- rendering

    /** Writes the listing of {@code bpftool btf dump file F format raw}. */
    public void dumpRaw(Appendable out) throws IOException {
        BtfRawDump.dump(this, out);
    }

    /** The listing of {@code bpftool btf dump file F format raw} as a string. */
    public String dumpRaw() {
        StringBuilder sb = new StringBuilder();
        try {
            dumpRaw(sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /** Writes compilable C declarations of every type, as {@code bpftool btf dump file F format c}. */
    public void dumpC(Appendable out) throws IOException {
        new BtfCDump(this, out).dumpAll();
    }

    /** The C header of {@link #dumpC(Appendable)} as a string. */
    public String dumpC() {
        StringBuilder sb = new StringBuilder();
        try {
            dumpC(sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /** A renderer of memory as typed values of this BTF. */
    public BtfValueRenderer renderer() {
        return new BtfValueRenderer(this);
    }

    /** Copies the raw BTF bytes out (they are usually a slice of a mapping). */
    public byte[] toByteArray() {
        return data.toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public String toString() {
        return "Btf[" + count + " types from id " + firstId + (base != null ? ", split" : "") + ", "
                + data.byteSize() + " bytes]";
    }

    /** For tests: the offsets index (defensive copy). */
    int[] typeOffsets() {
        return Arrays.copyOf(offsets, count);
    }
}
