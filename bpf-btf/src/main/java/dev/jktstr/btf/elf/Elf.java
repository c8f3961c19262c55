package dev.jktstr.btf.elf;

import dev.jktstr.btf.BtfLookupException;
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
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An ELF64 file (either byte order) over a {@link MemorySegment}: header, sections by name, symbols
 * ({@code .symtab}, {@code .dynsym}), notes and program headers. Every offset and count read from the
 * file is checked against the segment before use; malformed input ends in {@link ElfFormatException}.
 *
 * <p>{@link #open(Path)} maps the file (it is never read onto the heap) and {@link #close()} unmaps it;
 * {@link #of(MemorySegment)} borrows a segment (e.g. a decompressed kernel image).
 */
public final class Elf implements AutoCloseable {
    private static final ValueLayout.OfShort S_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt I_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong L_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong L_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public static final int ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;
    public static final int EM_X86_64 = 62, EM_AARCH64 = 183, EM_BPF = 247;

    private final MemorySegment seg;
    private final Arena owned;
    private final boolean bigEndian;
    private final int type;
    private final int machine;
    private final long entry;
    private final long phoff;
    private final int phnum;
    private final List<ElfSection> sections;

    private Elf(MemorySegment seg, Arena owned) {
        this.seg = seg;
        this.owned = owned;
        if (!isElf(seg)) {
            throw new ElfFormatException("not an ELF file (bad magic)");
        }
        if (seg.byteSize() < 64) {
            throw new ElfFormatException("ELF header truncated: " + seg.byteSize() + " bytes");
        }
        int cls = seg.get(ValueLayout.JAVA_BYTE, 4);
        if (cls != 2) {
            throw new ElfFormatException(cls == 1 ? "32-bit ELF is not supported (ELF64 only)" : "bad ELF class " + cls);
        }
        int dataEnc = seg.get(ValueLayout.JAVA_BYTE, 5);
        if (dataEnc != 1 && dataEnc != 2) {
            throw new ElfFormatException("bad ELF data encoding " + dataEnc);
        }
        bigEndian = dataEnc == 2;
        type = u16(16);
        machine = u16(18);
        entry = u64(24);
        phoff = u64(32);
        long shoff = u64(40);
        int phentsize = u16(54);
        int phnumRaw = u16(56);
        int shentsize = u16(58);
        long shnum = u16(60);
        int shstrndx = u16(62);
        if (shoff != 0) {
            if (shentsize != 64) {
                throw new ElfFormatException("unexpected ELF section header size " + shentsize);
            }
            checkRange(shoff, 64, "section header 0");
            if (shnum == 0) {
                shnum = u64(shoff + 32); // SHN_UNDEF's sh_size holds the real count
            }
            if (shstrndx == 0xffff) {
                shstrndx = u32(shoff + 40); // SHN_XINDEX: sh_link holds it
            }
            if (shnum < 0 || shnum > (seg.byteSize() - shoff) / 64) {
                throw new ElfFormatException("ELF section headers (" + shnum + " at " + shoff + ") exceed the file");
            }
        } else {
            shnum = 0;
        }
        if (phnumRaw != 0) {
            if (phentsize != 56) {
                throw new ElfFormatException("unexpected ELF program header size " + phentsize);
            }
            checkRange(phoff, 56L * phnumRaw, "program headers");
        }
        phnum = phnumRaw;
        List<long[]> raw = new ArrayList<>();
        for (int i = 0; i < shnum; i++) {
            long h = shoff + 64L * i;
            raw.add(new long[] {u32(h), u32(h + 4), u64(h + 8), u64(h + 16), u64(h + 24), u64(h + 32),
                u32(h + 40), u32(h + 44), u64(h + 48), u64(h + 56)});
        }
        long[] strtab = shstrndx > 0 && shstrndx < shnum ? raw.get(shstrndx) : null;
        List<ElfSection> secs = new ArrayList<>((int) shnum);
        for (int i = 0; i < shnum; i++) {
            long[] r = raw.get(i);
            String name = strtab == null ? "" : string(strtab[4], strtab[5], r[0] & 0xffffffffL, "section name");
            secs.add(new ElfSection(i, name, (int) r[1], r[2], r[3], r[4], r[5], (int) r[6], (int) r[7], r[8], r[9]));
        }
        sections = Collections.unmodifiableList(secs);
    }

    /** Maps {@code file} read-only and reads its headers; {@link #close()} unmaps it. */
    public static Elf open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new Elf(seg, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new BtfLookupException("no such file: " + file);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads the ELF in {@code segment}, which must stay valid while this is used. */
    public static Elf of(MemorySegment segment) {
        return new Elf(segment, null);
    }

    /** Whether the segment starts with the ELF magic {@code \x7fELF}. */
    public static boolean isElf(MemorySegment s) {
        return s.byteSize() >= 4 && s.get(ValueLayout.JAVA_BYTE, 0) == 0x7f && s.get(ValueLayout.JAVA_BYTE, 1) == 'E'
                && s.get(ValueLayout.JAVA_BYTE, 2) == 'L' && s.get(ValueLayout.JAVA_BYTE, 3) == 'F';
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    private int u16(long off) {
        checkRange(off, 2, "field");
        return Short.toUnsignedInt(seg.get(bigEndian ? S_BE : S_LE, off));
    }

    private int u32(long off) {
        checkRange(off, 4, "field");
        return seg.get(bigEndian ? I_BE : I_LE, off);
    }

    private long u64(long off) {
        checkRange(off, 8, "field");
        return seg.get(bigEndian ? L_BE : L_LE, off);
    }

    private void checkRange(long off, long len, String what) {
        if (off < 0 || len < 0 || off > seg.byteSize() - len) {
            throw new ElfFormatException("ELF " + what + " at offset " + Long.toUnsignedString(off) + " (+"
                    + Long.toUnsignedString(len) + ") lies outside the " + seg.byteSize() + "-byte file");
        }
    }

    /** NUL-terminated string at {@code index} in the table at {@code tabOff}/{@code tabSize}. */
    private String string(long tabOff, long tabSize, long index, String what) {
        if (index == 0) {
            return "";
        }
        checkRange(tabOff, tabSize, what + " string table");
        if (index < 0 || index >= tabSize) {
            throw new ElfFormatException("ELF " + what + " offset " + index + " outside its string table");
        }
        long start = tabOff + index;
        long end = start;
        long limit = tabOff + tabSize;
        while (end < limit && seg.get(ValueLayout.JAVA_BYTE, end) != 0) {
            end++;
        }
        if (end == limit) {
            throw new ElfFormatException("ELF " + what + " at " + index + " is not NUL-terminated");
        }
        byte[] b = new byte[(int) Math.min(end - start, Integer.MAX_VALUE - 8)];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, start, b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ header

    public boolean isBigEndian() {
        return bigEndian;
    }

    /** e_type: {@link #ET_REL}, {@link #ET_EXEC}, {@link #ET_DYN}, {@link #ET_CORE}. */
    public int type() {
        return type;
    }

    /** e_machine, e.g. {@link #EM_X86_64}. */
    public int machine() {
        return machine;
    }

    public long entry() {
        return entry;
    }

    /** The whole file. */
    public MemorySegment segment() {
        return seg;
    }

    // ------------------------------------------------------------------ sections

    public List<ElfSection> sections() {
        return sections;
    }

    /** The first section with this name. */
    public Optional<ElfSection> section(String name) {
        for (ElfSection s : sections) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The bytes of a section (empty for SHT_NOBITS), as a slice of the file. */
    public MemorySegment data(ElfSection s) {
        if (s.type() == ElfSection.SHT_NOBITS) {
            return seg.asSlice(0, 0);
        }
        checkRange(s.offset(), s.size(), "section " + s.name());
        return seg.asSlice(s.offset(), s.size());
    }

    // ------------------------------------------------------------------ symbols

    /** Symbols of {@code .symtab} (SHT_SYMTAB), index 0 excluded; empty if stripped. */
    public List<ElfSymbol> symbols() {
        List<ElfSymbol> out = new ArrayList<>();
        forEachSymbol(ElfSection.SHT_SYMTAB, out::add);
        return out;
    }

    /** Symbols of {@code .dynsym} (SHT_DYNSYM), index 0 excluded. */
    public List<ElfSymbol> dynamicSymbols() {
        List<ElfSymbol> out = new ArrayList<>();
        forEachSymbol(ElfSection.SHT_DYNSYM, out::add);
        return out;
    }

    /** Streams the symbols of every section of {@code sectionType} (SHT_SYMTAB or SHT_DYNSYM). */
    public void forEachSymbol(int sectionType, Consumer<ElfSymbol> sink) {
        for (ElfSection s : sections) {
            if (s.type() != sectionType) {
                continue;
            }
            if (s.entrySize() != 24) {
                throw new ElfFormatException("symbol table " + s.name() + " has entry size " + s.entrySize());
            }
            checkRange(s.offset(), s.size(), "symbol table " + s.name());
            if (s.link() <= 0 || s.link() >= sections.size()) {
                throw new ElfFormatException("symbol table " + s.name() + " links to missing section " + s.link());
            }
            ElfSection strtab = sections.get(s.link());
            long n = s.size() / 24;
            for (long i = 1; i < n; i++) {
                long e = s.offset() + 24 * i;
                int nameOff = u32(e);
                int info = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, e + 4));
                int other = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, e + 5));
                int shndx = u16(e + 6);
                long value = u64(e + 8);
                long size = u64(e + 16);
                String name = string(strtab.offset(), strtab.size(), Integer.toUnsignedLong(nameOff), "symbol name");
                sink.accept(new ElfSymbol(name, value, size, info, other, shndx));
            }
        }
    }

    // ------------------------------------------------------------------ notes and program headers

    public List<ElfProgramHeader> programHeaders() {
        List<ElfProgramHeader> out = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            long h = phoff + 56L * i;
            out.add(new ElfProgramHeader(u32(h), u32(h + 4), u64(h + 8), u64(h + 16), u64(h + 24), u64(h + 32),
                    u64(h + 40), u64(h + 48)));
        }
        return out;
    }

    /** Notes of all SHT_NOTE sections, or of PT_NOTE segments when the file has no section headers. */
    public List<ElfNote> notes() {
        List<ElfNote> out = new ArrayList<>();
        boolean any = false;
        for (ElfSection s : sections) {
            if (s.type() == ElfSection.SHT_NOTE) {
                any = true;
                parseNotes(s.offset(), s.size(), out);
            }
        }
        if (!any) {
            for (ElfProgramHeader ph : programHeaders()) {
                if (ph.type() == ElfProgramHeader.PT_NOTE) {
                    parseNotes(ph.offset(), ph.fileSize(), out);
                }
            }
        }
        return out;
    }

    private void parseNotes(long off, long size, List<ElfNote> out) {
        checkRange(off, size, "note area");
        long p = off;
        long end = off + size;
        while (end - p >= 12) {
            long namesz = Integer.toUnsignedLong(u32(p));
            long descsz = Integer.toUnsignedLong(u32(p + 4));
            int ntype = u32(p + 8);
            long nameStart = p + 12;
            long descStart = nameStart + align4(namesz);
            long next = descStart + align4(descsz);
            if (next > end || next < p) {
                throw new ElfFormatException("ELF note at offset " + p + " overruns its area");
            }
            long nlen = namesz;
            while (nlen > 0 && seg.get(ValueLayout.JAVA_BYTE, nameStart + nlen - 1) == 0) {
                nlen--;
            }
            byte[] name = new byte[(int) nlen];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, nameStart, name, 0, name.length);
            byte[] desc = new byte[(int) descsz];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, descStart, desc, 0, desc.length);
            out.add(new ElfNote(new String(name, StandardCharsets.UTF_8), ntype, desc));
            p = next;
        }
    }

    private static long align4(long x) {
        return (x + 3) & ~3L;
    }

    @Override
    public String toString() {
        return "Elf[type=" + type + ", machine=" + machine + ", " + sections.size() + " sections, " + seg.byteSize()
                + " bytes]";
    }
}
