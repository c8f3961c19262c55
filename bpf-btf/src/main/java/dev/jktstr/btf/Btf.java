package dev.jktstr.btf;

import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfSection;
import dev.jktstr.btf.image.BzImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Kernel type information (BTF) over a {@link MemorySegment}, indexed lazily.
 *
 * <p>Opening does one pass over the type section that checks every record's kind and extent and
 * remembers where each type starts; nothing else is decoded. Types decode on demand ({@link #type}),
 * names are compared as bytes in place, and the name index is built on the first lookup by name.
 * Split BTF (a kernel module's or a program's BTF on top of vmlinux BTF) numbers its types after the
 * base's and refers to the base's strings and types transparently.
 *
 * <p>A {@code Btf} is safe for concurrent reads. One returned by {@link #load(Path)} owns the mapping
 * of its file and releases it on {@link #close()}; the others borrow the segment they were given.
 */
public final class Btf implements AutoCloseable {

    /** Size of {@code struct btf_header} as of BTF version 1 (hdr_len may be larger). */
    static final int HEADER_SIZE = 24;
    static final int MAGIC = 0xEB9F;

    static final int K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FWD = 7,
            K_TYPEDEF = 8, K_VOLATILE = 9, K_CONST = 10, K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13,
            K_VAR = 14, K_DATASEC = 15, K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18, K_ENUM64 = 19;

    /** Bits of btf_type.info that carry meaning (vlen, kind, kind_flag); the kernel rejects the others. */
    private static final int INFO_MASK = 0x9f00ffff;

    /** Longest typedef/modifier chain followed before the data is declared to contain a loop. */
    static final int MAX_CHAIN = 64;

    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment data;
    private final boolean bigEndian;
    private final Btf base;
    private final Arena owned;
    private final int firstId;
    private final int count;
    private final int[] offsets;
    private final long strStart;
    private final long strLen;
    /** String offsets below this refer to the base's strings (split BTF). */
    private final long strBase;
    private final long hdrLen;

    private volatile int[] nameIndex;
    private volatile int pointerSize;
    /** alignment+1 per type id, 0 = not yet computed (benign races: every writer writes the same value). */
    private byte[] alignCache;

    private Btf(MemorySegment data, Btf base, Arena owned) {
        this.data = data;
        this.base = base;
        this.owned = owned;
        long size = data.byteSize();
        if (size < HEADER_SIZE) {
            throw new BtfFormatException("BTF data too short for a header: " + size + " bytes");
        }
        if (size > Integer.MAX_VALUE) {
            throw new BtfFormatException("BTF data larger than 2 GiB: " + size + " bytes");
        }
        int magic = Short.toUnsignedInt(data.get(SHORT_LE, 0));
        if (magic == MAGIC) {
            bigEndian = false;
        } else if (magic == Integer.reverseBytes(MAGIC) >>> 16) {
            bigEndian = true;
        } else {
            throw new BtfFormatException(String.format("not BTF: magic 0x%04x, expected 0xeb9f", magic));
        }
        if (base != null && base.bigEndian != bigEndian) {
            throw new BtfFormatException("split BTF and its base differ in byte order");
        }
        int version = Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, 2));
        if (version != 1) {
            throw new BtfFormatException("unsupported BTF version " + version + " (this reader knows version 1)");
        }
        int flags = Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, 3));
        if (flags != 0) {
            throw new BtfFormatException("unsupported BTF header flags 0x" + Integer.toHexString(flags));
        }
        hdrLen = Integer.toUnsignedLong(u32(4));
        if (hdrLen < HEADER_SIZE || hdrLen > size) {
            throw new BtfFormatException("BTF hdr_len " + hdrLen + " out of range [24, " + size + "]");
        }
        long typeOff = Integer.toUnsignedLong(u32(8));
        long typeLen = Integer.toUnsignedLong(u32(12));
        long strOff = Integer.toUnsignedLong(u32(16));
        strLen = Integer.toUnsignedLong(u32(20));
        long payload = size - hdrLen;
        if (typeOff + typeLen > payload || strOff + strLen > payload) {
            throw new BtfFormatException("BTF sections exceed the data: type " + typeOff + "+" + typeLen
                    + ", strings " + strOff + "+" + strLen + ", " + payload + " bytes after the header");
        }
        if ((typeOff & 3) != 0) {
            throw new BtfFormatException("BTF type section not 4-byte aligned: type_off " + typeOff);
        }
        if (typeOff + typeLen > strOff) {
            throw new BtfFormatException("BTF type section overlaps or follows the string section");
        }
        strStart = hdrLen + strOff;
        if (base == null) {
            if (strLen == 0 || data.get(ValueLayout.JAVA_BYTE, strStart) != 0
                    || data.get(ValueLayout.JAVA_BYTE, strStart + strLen - 1) != 0) {
                throw new BtfFormatException("BTF string section must start and end with NUL");
            }
        } else if (strLen != 0 && data.get(ValueLayout.JAVA_BYTE, strStart + strLen - 1) != 0) {
            throw new BtfFormatException("BTF string section must end with NUL");
        }
        strBase = base == null ? 0 : base.strBase + base.strLen;
        firstId = base == null ? 1 : base.typeCount();
        // One pass: every record's kind and extent are checked and its start remembered.
        // Sized for vmlinux's average record (~44 bytes), grown if the guess is short: keeps a parse's
        // allocation near 4 bytes per type.
        int[] offs = new int[(int) Math.min(typeLen / 32 + 16, Integer.MAX_VALUE - 8)];
        int n = 0;
        long p = hdrLen + typeOff;
        long end = p + typeLen;
        while (p < end) {
            if (end - p < 12) {
                throw new BtfFormatException("truncated BTF type record at type id " + (firstId + n));
            }
            int info = u32(p + 4);
            int kind = (info >>> 24) & 0x1f;
            if ((info & ~INFO_MASK) != 0) {
                throw new BtfFormatException(String.format("invalid info 0x%08x in BTF type id %d", info, firstId + n));
            }
            int vlen = info & 0xffff;
            long extra = switch (kind) {
                case K_INT, K_VAR, K_DECL_TAG -> 4;
                case K_PTR, K_FWD, K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT, K_FUNC, K_FLOAT, K_TYPE_TAG -> 0;
                case K_ARRAY -> 12;
                case K_STRUCT, K_UNION, K_DATASEC, K_ENUM64 -> 12L * vlen;
                case K_ENUM, K_FUNC_PROTO -> 8L * vlen;
                default -> throw new BtfFormatException("unknown BTF kind " + kind + " at type id " + (firstId + n)
                        + " (this reader knows kinds 1.." + BtfKind.MAX + ")");
            };
            if (end - p - 12 < extra) {
                throw new BtfFormatException("truncated BTF type record at type id " + (firstId + n));
            }
            if (n == offs.length) {
                offs = Arrays.copyOf(offs, (int) Math.min((long) n + (n >> 1) + 16, typeLen / 12 + 1));
            }
            offs[n++] = (int) p;
            p += 12 + extra;
        }
        if ((long) firstId + n > Integer.MAX_VALUE) {
            throw new BtfFormatException("too many BTF types");
        }
        count = n;
        offsets = offs;
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
            MemorySegment whole = map(file, arena);
            MemorySegment btf = btfSection(whole, arena, file.toString());
            return new Btf(btf, base, arena);
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
        ElfSection s = elf.section(".BTF").orElseThrow(
                () -> new BtfLookupException("ELF file has no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)"));
        return new Btf(elf.data(s), null, null);
    }

    /** Maps a whole file read-only into {@code arena}. */
    static MemorySegment map(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new BtfLookupException("no such file: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file + ": " + e.getMessage(), e);
        }
    }

    /** Finds the raw BTF inside raw BTF, an ELF image or a bzImage. */
    private static MemorySegment btfSection(MemorySegment whole, Arena arena, String what) {
        if (whole.byteSize() >= 2) {
            int magic = Short.toUnsignedInt(whole.get(SHORT_LE, 0));
            if (magic == MAGIC || magic == 0x9FEB) {
                return whole;
            }
        }
        if (Elf.isElf(whole)) {
            Elf elf = Elf.of(whole);
            ElfSection s = elf.section(".BTF").orElseThrow(() -> new BtfLookupException(
                    what + " has no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)"));
            return elf.data(s);
        }
        if (BzImage.isBzImage(whole)) {
            MemorySegment vmlinux = BzImage.extractVmlinux(whole, arena);
            return btfSection(vmlinux, arena, what + " (decompressed vmlinux)");
        }
        throw new BtfFormatException(what + " is neither raw BTF, an ELF file nor an x86 bzImage");
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
        if (kindOf(id) == K_ENUM64) {
            return Integer.toUnsignedLong(raw(id, 16 + 12 * i)) | ((long) raw(id, 20 + 12 * i) << 32);
        }
        int v = raw(id, 16 + 8 * i);
        return kflag(id) ? v : Integer.toUnsignedLong(v);
    }

    int enumNameOff(int id, int i) {
        return kindOf(id) == K_ENUM64 ? raw(id, 12 + 12 * i) : raw(id, 12 + 8 * i);
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
        long o = Integer.toUnsignedLong(off);
        Btf b = this;
        while (o < b.strBase) {
            b = b.base;
        }
        o -= b.strBase;
        if (o >= b.strLen) {
            return null;
        }
        long start = b.strStart + o;
        long limit = b.strStart + b.strLen;
        long e = start;
        MemorySegment d = b.data;
        while (e < limit && d.get(ValueLayout.JAVA_BYTE, e) != 0) {
            e++;
        }
        if (e == limit) {
            return null;
        }
        if (e == start) {
            return "";
        }
        byte[] bytes = new byte[(int) (e - start)];
        MemorySegment.copy(d, ValueLayout.JAVA_BYTE, start, bytes, 0, bytes.length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The string at {@code off}; throws on an offset outside the string section. */
    String str(int off) {
        String s = strOrNull(off);
        if (s == null) {
            throw new BtfFormatException("invalid BTF string offset " + Integer.toUnsignedString(off));
        }
        return s;
    }

    /** Whether the NUL-terminated string at {@code off} equals {@code q} (UTF-8), without decoding it. */
    boolean strEquals(int off, byte[] q) {
        long o = Integer.toUnsignedLong(off);
        Btf b = this;
        while (o < b.strBase) {
            b = b.base;
        }
        o -= b.strBase;
        if (o + q.length >= b.strLen) {
            return false;
        }
        long start = b.strStart + o;
        MemorySegment d = b.data;
        for (int i = 0; i < q.length; i++) {
            if (d.get(ValueLayout.JAVA_BYTE, start + i) != q[i]) {
                return false;
            }
        }
        return d.get(ValueLayout.JAVA_BYTE, start + q.length) == 0;
    }

    private int strHash(int off) {
        long o = Integer.toUnsignedLong(off);
        Btf b = this;
        while (o < b.strBase) {
            b = b.base;
        }
        o -= b.strBase;
        if (o >= b.strLen) {
            return 0;
        }
        long p = b.strStart + o;
        long limit = b.strStart + b.strLen;
        MemorySegment d = b.data;
        int h = 0x811c9dc5;
        byte c;
        while (p < limit && (c = d.get(ValueLayout.JAVA_BYTE, p)) != 0) {
            h = (h ^ (c & 0xff)) * 0x01000193;
            p++;
        }
        return h;
    }

    private static int hash(byte[] q) {
        int h = 0x811c9dc5;
        for (byte c : q) {
            h = (h ^ (c & 0xff)) * 0x01000193;
        }
        return h;
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
        if (id == 0) {
            throw new BtfLookupException("type id 0 is void and has no record");
        }
        int kind = kindOf(id);
        String name = name(id);
        int vlen = vlen(id);
        boolean kf = kflag(id);
        return switch (kind) {
            case K_INT -> {
                int v = raw(id, 12);
                yield new BtfType.Int(id, name, sizeOrType(id), (v >>> 16) & 0xff, v & 0xff, (v >>> 24) & 0x0f);
            }
            case K_PTR, K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT, K_TYPE_TAG ->
                    new BtfType.Ref(id, BtfKind.of(kind), name, ref(sizeOrType(id)), kf);
            case K_ARRAY -> new BtfType.Array(id, name, ref(arrayType(id)), ref(arrayIndexType(id)), arrayLength(id));
            case K_STRUCT, K_UNION -> {
                List<BtfType.Member> ms = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    ms.add(new BtfType.Member(str(memberNameOff(id, i)), ref(memberType(id, i)),
                            memberBitOffset(id, i), memberBitfieldSize(id, i)));
                }
                yield new BtfType.Composite(id, BtfKind.of(kind), name, Integer.toUnsignedLong(sizeOrType(id)),
                        List.copyOf(ms));
            }
            case K_ENUM, K_ENUM64 -> {
                List<BtfType.Enumerator> vs = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    vs.add(new BtfType.Enumerator(str(enumNameOff(id, i)), enumValue(id, i)));
                }
                yield new BtfType.Enum(id, BtfKind.of(kind), name, kf, Integer.toUnsignedLong(sizeOrType(id)),
                        List.copyOf(vs));
            }
            case K_FWD -> new BtfType.Fwd(id, name, kf);
            case K_FUNC -> new BtfType.Func(id, name, ref(sizeOrType(id)), vlen);
            case K_FUNC_PROTO -> {
                List<BtfType.Param> ps = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    ps.add(new BtfType.Param(str(paramNameOff(id, i)), ref(paramType(id, i))));
                }
                yield new BtfType.FuncProto(id, ref(sizeOrType(id)), List.copyOf(ps));
            }
            case K_VAR -> new BtfType.Var(id, name, ref(sizeOrType(id)), raw(id, 12));
            case K_DATASEC -> {
                List<BtfType.VarSecInfo> vs = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    vs.add(new BtfType.VarSecInfo(ref(raw(id, 12 + 12 * i)),
                            Integer.toUnsignedLong(raw(id, 16 + 12 * i)), Integer.toUnsignedLong(raw(id, 20 + 12 * i))));
                }
                yield new BtfType.Datasec(id, name, Integer.toUnsignedLong(sizeOrType(id)), List.copyOf(vs));
            }
            case K_FLOAT -> new BtfType.Float(id, name, sizeOrType(id));
            case K_DECL_TAG -> new BtfType.DeclTag(id, name, ref(sizeOrType(id)), raw(id, 12), kf);
            default -> throw new BtfFormatException("unknown BTF kind " + kind + " at type id " + id);
        };
    }

    /** All types with exactly this name, in id order (base first). */
    public List<Integer> findAll(String name) {
        List<Integer> out = new ArrayList<>();
        if (base != null) {
            out.addAll(base.findAll(name));
        }
        byte[] q = name.getBytes(StandardCharsets.UTF_8);
        int[] table = nameIndex();
        int mask = table.length - 1;
        for (int slot = hash(q) & mask; table[slot] != 0; slot = (slot + 1) & mask) {
            int id = table[slot];
            if (strEquals(nameOff(id), q)) {
                out.add(id);
            }
        }
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
        byte[] q = name.getBytes(StandardCharsets.UTF_8);
        int[] table = nameIndex();
        int mask = table.length - 1;
        for (int slot = hash(q) & mask; table[slot] != 0; slot = (slot + 1) & mask) {
            int id = table[slot];
            if ((kind == null || kindOf(id) == kind.number()) && strEquals(nameOff(id), q)) {
                return OptionalInt.of(id);
            }
        }
        return OptionalInt.empty();
    }

    /** Like {@link #find(String, BtfKind)} but throws {@link BtfLookupException} when absent. */
    public int require(String name, BtfKind kind) {
        return find(name, kind).orElseThrow(() -> new BtfLookupException(
                "no " + (kind == null ? "type" : kind.name()) + " named '" + name + "' in BTF"));
    }

    /**
     * Open-addressing table of this BTF's own named type ids, keyed by a hash of the name bytes; built
     * once, on the first lookup by name, in id order (so probing meets lower ids first).
     */
    private int[] nameIndex() {
        int[] t = nameIndex;
        if (t == null) {
            synchronized (this) {
                t = nameIndex;
                if (t == null) {
                    int cap = Integer.highestOneBit(Math.max(count, 8) * 2 - 1) << 1;
                    t = new int[cap];
                    int mask = cap - 1;
                    for (int i = 0; i < count; i++) {
                        int id = firstId + i;
                        int off = u32(offsets[i]);
                        if (off == 0) {
                            continue;
                        }
                        int slot = strHash(off) & mask;
                        while (t[slot] != 0) {
                            slot = (slot + 1) & mask;
                        }
                        t[slot] = id;
                    }
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
                case K_TYPEDEF, K_CONST, K_VOLATILE, K_RESTRICT, K_TYPE_TAG -> id = sizeOrType(id);
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
                case K_CONST, K_VOLATILE, K_RESTRICT, K_TYPE_TAG -> id = sizeOrType(id);
                default -> {
                    return id;
                }
            }
        }
        throw new BtfFormatException("type reference chain longer than " + MAX_CHAIN + " at id " + id + " (loop?)");
    }

    /** Pointer size in bytes, guessed from the {@code long} integer types as libbpf does (default 8). */
    public int pointerSize() {
        int p = pointerSize;
        if (p == 0) {
            p = base != null ? base.pointerSize() : guessPointerSize();
            pointerSize = p;
        }
        return p;
    }

    private static final List<String> LONG_ALIASES = List.of("long", "long int", "int long", "unsigned long",
            "long unsigned", "unsigned long int", "unsigned int long", "long unsigned int", "long int unsigned",
            "int unsigned long", "int long unsigned");

    private int guessPointerSize() {
        for (int i = 0; i < count; i++) {
            int id = firstId + i;
            if (kindOf(id) != K_INT) {
                continue;
            }
            int size = sizeOrType(id);
            if (size != 4 && size != 8) {
                continue;
            }
            String name = strOrNull(nameOff(id));
            if (name != null && LONG_ALIASES.contains(name)) {
                return size;
            }
        }
        return 8;
    }

    /**
     * Size in bytes of a type as libbpf's btf__resolve_size() computes it (arrays multiply, modifiers and
     * typedefs pass through), or -1 if the type has no size (void, FWD, FUNC, FUNC_PROTO) or it overflows.
     */
    long resolveSize(int id) {
        long nelems = 1;
        for (int i = 0; i < MAX_CHAIN; i++) {
            int kind = kindOf(id);
            switch (kind) {
                case 0, K_FWD -> {
                    return -1;
                }
                case K_INT, K_STRUCT, K_UNION, K_ENUM, K_ENUM64, K_DATASEC, K_FLOAT -> {
                    long size = Integer.toUnsignedLong(sizeOrType(id));
                    if (nelems != 0 && size > 0xffffffffL / nelems) {
                        return -1;
                    }
                    return nelems * size;
                }
                case K_PTR -> {
                    return nelems * pointerSize();
                }
                case K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT, K_VAR, K_DECL_TAG, K_TYPE_TAG -> id = sizeOrType(id);
                case K_ARRAY -> {
                    long n = arrayLength(id);
                    if (nelems != 0 && n > 0xffffffffL / nelems) {
                        return -1;
                    }
                    nelems *= n;
                    id = arrayType(id);
                }
                default -> {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** {@code sizeof} of a type in bytes; throws for types without a size. */
    public long sizeOf(int id) {
        long s = resolveSize(id);
        if (s < 0) {
            throw new BtfLookupException("type [" + id + "] " + (id == 0 ? "void" : kind(id) + " '" + name(id) + "'")
                    + " has no size");
        }
        return s;
    }

    /** {@code _Alignof} of a type in bytes; throws for types without an alignment. */
    public int alignOf(int id) {
        int a = alignment(id, 0);
        if (a <= 0) {
            throw new BtfLookupException("type [" + id + "] has no alignment");
        }
        return a;
    }

    /**
     * libbpf's btf__align_of(): 0 if unknown; 1 for structs whose layout shows they are packed.
     * Memoised per type, so shared member types (a DAG) cost nothing the second time.
     */
    int alignment(int id, int depth) {
        byte[] cache = alignCache;
        if (cache == null) {
            cache = new byte[typeCount()];
            alignCache = cache;
        }
        if (id >= 0 && id < cache.length && cache[id] != 0) {
            return cache[id] - 1;
        }
        int a = computeAlignment(id, depth);
        if (id >= 0 && id < cache.length && a >= 0 && a < 127) {
            cache[id] = (byte) (a + 1);
        }
        return a;
    }

    private int computeAlignment(int id, int depth) {
        if (depth > MAX_CHAIN) {
            throw new BtfFormatException("type nesting deeper than " + MAX_CHAIN + " at id " + id + " (loop?)");
        }
        switch (kindOf(id)) {
            case K_INT, K_ENUM, K_ENUM64, K_FLOAT -> {
                return (int) Math.min(pointerSize(), Integer.toUnsignedLong(sizeOrType(id)));
            }
            case K_PTR -> {
                return pointerSize();
            }
            case K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT, K_TYPE_TAG -> {
                return alignment(sizeOrType(id), depth + 1);
            }
            case K_ARRAY -> {
                return alignment(arrayType(id), depth + 1);
            }
            case K_STRUCT, K_UNION -> {
                int vlen = vlen(id);
                int max = 1;
                for (int i = 0; i < vlen; i++) {
                    int a = alignment(memberType(id, i), depth + 1);
                    if (a <= 0) {
                        return a;
                    }
                    max = Math.max(max, a);
                    if (memberBitfieldSize(id, i) == 0 && memberBitOffset(id, i) % (8L * a) != 0) {
                        return 1;
                    }
                }
                if (Integer.toUnsignedLong(sizeOrType(id)) % max != 0) {
                    return 1;
                }
                return max;
            }
            default -> {
                return 0;
            }
        }
    }

    // ---------------------------------------------------------------- field paths

    /**
     * Resolves a field path whose first step names a type: {@code task_struct.se.sum_exec_runtime},
     * {@code rq.scx.local_dsq.nr}, {@code rq[3].nr_running}. Members of anonymous structs and unions are
     * found as in C; {@code [n]} steps index arrays.
     */
    public BtfField fieldPath(String path) {
        Objects.requireNonNull(path, "path");
        int dot = firstSeparator(path);
        String root = path.substring(0, dot);
        String rest = dot < path.length() ? path.substring(dot) : "";
        return walk(root, rest, path);
    }

    /** Resolves {@code path} (e.g. {@code scx.nr_running} or {@code cpus[2].x}) inside type {@code rootType}. */
    public BtfField fieldPath(String rootType, String path) {
        Objects.requireNonNull(path, "path");
        String rest = path.isEmpty() || path.startsWith("[") || path.startsWith(".") ? path : "." + path;
        return walk(rootType, rest, rootType + rest);
    }

    private static int firstSeparator(String p) {
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '.' || c == '[') {
                return i;
            }
        }
        return p.length();
    }

    private BtfField walk(String rootName, String rest, String whole) {
        int root = rootType(rootName.strip());
        long bits = 0;
        int type = root;
        int bitfield = 0;
        int i = 0;
        int n = rest.length();
        while (i < n) {
            char c = rest.charAt(i);
            if (c == '.') {
                int j = i + 1;
                while (j < n && rest.charAt(j) != '.' && rest.charAt(j) != '[') {
                    j++;
                }
                String member = rest.substring(i + 1, j).strip();
                if (member.isEmpty()) {
                    throw new BtfLookupException("empty step in field path '" + whole + "'");
                }
                if (bitfield != 0) {
                    throw new BtfLookupException("'" + whole + "': a bitfield has no members");
                }
                int agg = resolve(type);
                int k = kindOf(agg);
                if (k != K_STRUCT && k != K_UNION) {
                    throw new BtfLookupException("'" + whole + "': cannot take member '" + member + "' of "
                            + typeName(type) + " (not a struct or union)");
                }
                long[] found = new long[4];
                if (!findMember(agg, member.getBytes(StandardCharsets.UTF_8), 0, found, 0)) {
                    throw new BtfLookupException("'" + whole + "': " + typeName(agg) + " has no member '" + member + "'");
                }
                type = (int) found[0];
                bits += found[1];
                bitfield = (int) found[2];
                i = j;
            } else if (c == '[') {
                int j = rest.indexOf(']', i);
                if (j < 0) {
                    throw new BtfLookupException("unclosed '[' in field path '" + whole + "'");
                }
                long index;
                try {
                    index = Long.decode(rest.substring(i + 1, j).strip());
                } catch (NumberFormatException e) {
                    throw new BtfLookupException("bad index '" + rest.substring(i + 1, j) + "' in field path '" + whole + "'");
                }
                if (index < 0) {
                    throw new BtfLookupException("negative index in field path '" + whole + "'");
                }
                int t = resolve(type);
                long elemSize;
                int elem;
                if (i == 0 && type == root && kindOf(t) != K_ARRAY) {
                    // "rq[3]": the root type's name indexes an array of that type
                    elem = type;
                    elemSize = sizeOf(type);
                } else {
                    if (kindOf(t) != K_ARRAY) {
                        throw new BtfLookupException("'" + whole + "': cannot index " + typeName(type) + " (not an array)");
                    }
                    long len = arrayLength(t);
                    if (len != 0 && index >= len) {
                        throw new BtfLookupException("'" + whole + "': index " + index + " out of bounds for "
                                + typeName(type));
                    }
                    elem = arrayType(t);
                    elemSize = sizeOf(elem);
                }
                if (elemSize != 0 && index > (Long.MAX_VALUE / 8 - bits / 8) / elemSize) {
                    throw new BtfLookupException("'" + whole + "': offset overflows");
                }
                bits += index * elemSize * 8;
                type = elem;
                i = j + 1;
            } else {
                throw new BtfLookupException("unexpected '" + c + "' in field path '" + whole + "'");
            }
        }
        long size = bitfield != 0 ? Math.max(0, resolveSize(type)) : sizeOf(type);
        return new BtfField(this, whole, type, bits, bitfield, size);
    }

    private int rootType(String name) {
        OptionalInt id = find(name, BtfKind.STRUCT);
        if (id.isEmpty()) {
            id = find(name, BtfKind.UNION);
        }
        if (id.isEmpty()) {
            id = find(name, BtfKind.TYPEDEF);
        }
        if (id.isEmpty()) {
            for (int candidate : findAll(name)) {
                int k = kindOf(candidate);
                if (k != K_FUNC && k != K_FWD && k != K_DECL_TAG) {
                    return candidate;
                }
            }
            throw new BtfLookupException("no type named '" + name + "' in BTF");
        }
        return id.getAsInt();
    }

    /** Depth-first search in member order, descending into anonymous struct/union members as C does. */
    private boolean findMember(int agg, byte[] name, long baseBits, long[] out, int depth) {
        if (depth > MAX_CHAIN) {
            throw new BtfFormatException("anonymous member nesting deeper than " + MAX_CHAIN + " (loop?)");
        }
        // out[3] counts members visited: anonymous members shared as a DAG must not explode the search
        if ((out[3] += vlen(agg)) > 1 << 20) {
            throw new BtfFormatException("anonymous members of type " + agg + " nest too often to search");
        }
        int vlen = vlen(agg);
        for (int i = 0; i < vlen; i++) {
            int nameOff = memberNameOff(agg, i);
            if (nameOff != 0) {
                if (strEquals(nameOff, name)) {
                    out[0] = ref(memberType(agg, i));
                    out[1] = baseBits + memberBitOffset(agg, i);
                    out[2] = memberBitfieldSize(agg, i);
                    return true;
                }
            } else {
                int inner = resolve(memberType(agg, i));
                int k = kindOf(inner);
                if ((k == K_STRUCT || k == K_UNION)
                        && findMember(inner, name, baseBits + memberBitOffset(agg, i), out, depth + 1)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The type as C writes it in a cast, e.g. {@code u64}, {@code struct rq *}, {@code char[16]}. */
    public String typeName(int id) {
        return BtfCDump.declaration(this, id, "");
    }

    /** A C declaration of {@code name} with type {@code id}, e.g. {@code void (*fn)(int)}. */
    public String declaration(int id, String name) {
        return BtfCDump.declaration(this, id, name);
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
