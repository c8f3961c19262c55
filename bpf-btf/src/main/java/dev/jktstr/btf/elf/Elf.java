package dev.jktstr.btf.elf;

import static dev.jktstr.bindings.elf.ElfH.*;

import dev.jktstr.bindings.elf.Elf64Ehdr;
import dev.jktstr.bindings.elf.Elf64Nhdr;
import dev.jktstr.bindings.elf.Elf64Phdr;
import dev.jktstr.bindings.elf.Elf64Shdr;
import dev.jktstr.bindings.elf.Elf64Sym;
import dev.jktstr.bindings.elf.ElfH;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
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
 * file is checked against the segment before use; malformed input ends in {@link ElfFormatException}, a missing file in {@link ElfException}.
 *
 * <p>Headers, section headers, symbols, program headers and note headers are read with the layouts generated
 * from elf.h ({@code dev.jktstr.bindings.elf}): each is range-checked, then copied out of the file into native
 * byte order, because the file may be either byte order and need not align its structures.
 *
 * <p>{@link #open(Path)} maps the file (it is never read onto the heap) and {@link #close()} unmaps it;
 * {@link #of(MemorySegment)} borrows a segment (e.g. a decompressed kernel image).
 */
public final class Elf implements AutoCloseable {
    public static final int ET_REL = ElfH.ET_REL, ET_EXEC = ElfH.ET_EXEC, ET_DYN = ElfH.ET_DYN, ET_CORE = ElfH.ET_CORE;
    /** EM_AARCH64 is not generated: the bindings take only the machines they use (bindings/bindings.list). */
    public static final int EM_X86_64 = ElfH.EM_X86_64, EM_AARCH64 = 183, EM_BPF = ElfH.EM_BPF;

    private static final long EHDR_SIZE = Elf64Ehdr.LAYOUT.byteSize();
    private static final long SHDR_SIZE = Elf64Shdr.LAYOUT.byteSize();
    private static final long PHDR_SIZE = Elf64Phdr.LAYOUT.byteSize();
    private static final long SYM_SIZE = Elf64Sym.LAYOUT.byteSize();
    private static final long NHDR_SIZE = Elf64Nhdr.LAYOUT.byteSize();

    private final MemorySegment seg;
    private final Arena owned;
    private final boolean bigEndian;
    /** Whether the file's byte order differs from this machine's, so fields need swapping. */
    private final boolean swap;
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
        if (seg.byteSize() < EHDR_SIZE) {
            throw new ElfFormatException("ELF header truncated: " + seg.byteSize() + " bytes");
        }
        int cls = Elf64Ehdr.e_ident(seg, EI_CLASS);
        if (cls != ELFCLASS64) {
            throw new ElfFormatException(cls == ELFCLASS32 ? "32-bit ELF is not supported (ELF64 only)" : "bad ELF class " + cls);
        }
        int dataEnc = Elf64Ehdr.e_ident(seg, EI_DATA);
        if (dataEnc != ELFDATA2LSB && dataEnc != ELFDATA2MSB) {
            throw new ElfFormatException("bad ELF data encoding " + dataEnc);
        }
        bigEndian = dataEnc == ELFDATA2MSB;
        swap = (bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN) != ByteOrder.nativeOrder();
        MemorySegment eh = struct(0, Elf64Ehdr.LAYOUT, "header");
        type = Short.toUnsignedInt(Elf64Ehdr.e_type(eh));
        machine = Short.toUnsignedInt(Elf64Ehdr.e_machine(eh));
        entry = Elf64Ehdr.e_entry(eh);
        phoff = Elf64Ehdr.e_phoff(eh);
        long shoff = Elf64Ehdr.e_shoff(eh);
        int phentsize = Short.toUnsignedInt(Elf64Ehdr.e_phentsize(eh));
        int phnumRaw = Short.toUnsignedInt(Elf64Ehdr.e_phnum(eh));
        int shentsize = Short.toUnsignedInt(Elf64Ehdr.e_shentsize(eh));
        long shnum = Short.toUnsignedInt(Elf64Ehdr.e_shnum(eh));
        int shstrndx = Short.toUnsignedInt(Elf64Ehdr.e_shstrndx(eh));
        if (shoff != 0) {
            if (shentsize != SHDR_SIZE) {
                throw new ElfFormatException("unexpected ELF section header size " + shentsize);
            }
            MemorySegment sh0 = struct(shoff, Elf64Shdr.LAYOUT, "section header 0");
            if (shnum == SHN_UNDEF) {
                shnum = Elf64Shdr.sh_size(sh0); // more sections than e_shnum holds: section 0's sh_size has the count
            }
            if (shstrndx == SHN_XINDEX) {
                shstrndx = Elf64Shdr.sh_link(sh0); // likewise for the index of the section name table
            }
            if (shnum < 0 || shnum > (seg.byteSize() - shoff) / SHDR_SIZE) {
                throw new ElfFormatException("ELF section headers (" + shnum + " at " + shoff + ") exceed the file");
            }
        } else {
            shnum = 0;
        }
        if (phnumRaw != 0) {
            if (phentsize != PHDR_SIZE) {
                throw new ElfFormatException("unexpected ELF program header size " + phentsize);
            }
            checkRange(phoff, PHDR_SIZE * phnumRaw, "program headers");
        }
        phnum = phnumRaw;
        MemorySegment names = shstrndx > 0 && shstrndx < shnum
                ? struct(shoff + SHDR_SIZE * shstrndx, Elf64Shdr.LAYOUT, "section header " + shstrndx) : null;
        List<ElfSection> secs = new ArrayList<>((int) shnum);
        for (int i = 0; i < shnum; i++) {
            MemorySegment sh = struct(shoff + SHDR_SIZE * i, Elf64Shdr.LAYOUT, "section header");
            String name = names == null ? "" : string(Elf64Shdr.sh_offset(names), Elf64Shdr.sh_size(names),
                    Integer.toUnsignedLong(Elf64Shdr.sh_name(sh)), "section name");
            secs.add(new ElfSection(i, name, Elf64Shdr.sh_type(sh), Elf64Shdr.sh_flags(sh), Elf64Shdr.sh_addr(sh),
                    Elf64Shdr.sh_offset(sh), Elf64Shdr.sh_size(sh), Elf64Shdr.sh_link(sh), Elf64Shdr.sh_info(sh),
                    Elf64Shdr.sh_addralign(sh), Elf64Shdr.sh_entsize(sh)));
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
            throw new ElfException("no such file: " + file);
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
        return s.byteSize() >= SELFMAG && Elf64Ehdr.e_ident(s, EI_MAG0) == (byte) ELFMAG0
                && Elf64Ehdr.e_ident(s, EI_MAG1) == ELFMAG1 && Elf64Ehdr.e_ident(s, EI_MAG2) == ELFMAG2
                && Elf64Ehdr.e_ident(s, EI_MAG3) == ELFMAG3;
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    /**
     * The {@code layout}-shaped structure at {@code off}, range-checked and copied into native byte order so the
     * generated accessors can read it (they read aligned, native-order fields; the file is neither, necessarily).
     */
    private MemorySegment struct(long off, StructLayout layout, String what) {
        checkRange(off, layout.byteSize(), what);
        MemorySegment copy = MemorySegment.ofArray(new long[(int) ((layout.byteSize() + 7) / 8)]); // 8-aligned
        MemorySegment.copy(seg, off, copy, 0, layout.byteSize());
        if (swap) {
            swapFields(copy, layout);
        }
        return copy;
    }

    /**
     * Reverses the bytes of every multi-byte field; byte arrays ({@code e_ident}) stay as they are. The ELF
     * structures hold nothing else (no nested structs or arrays of wider elements).
     */
    private static void swapFields(MemorySegment s, StructLayout layout) {
        long off = 0;
        for (MemoryLayout m : layout.memberLayouts()) {
            if (m instanceof ValueLayout && m.byteSize() > 1) {
                for (long i = 0, j = m.byteSize() - 1; i < j; i++, j--) {
                    byte a = s.get(ValueLayout.JAVA_BYTE, off + i);
                    s.set(ValueLayout.JAVA_BYTE, off + i, s.get(ValueLayout.JAVA_BYTE, off + j));
                    s.set(ValueLayout.JAVA_BYTE, off + j, a);
                }
            }
            off += m.byteSize();
        }
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
            if (s.entrySize() != SYM_SIZE) {
                throw new ElfFormatException("symbol table " + s.name() + " has entry size " + s.entrySize());
            }
            checkRange(s.offset(), s.size(), "symbol table " + s.name());
            if (s.link() <= 0 || s.link() >= sections.size()) {
                throw new ElfFormatException("symbol table " + s.name() + " links to missing section " + s.link());
            }
            ElfSection strtab = sections.get(s.link());
            long n = s.size() / SYM_SIZE;
            for (long i = 1; i < n; i++) {
                MemorySegment sym = struct(s.offset() + SYM_SIZE * i, Elf64Sym.LAYOUT, "symbol");
                String name = string(strtab.offset(), strtab.size(), Integer.toUnsignedLong(Elf64Sym.st_name(sym)),
                        "symbol name");
                sink.accept(new ElfSymbol(name, Elf64Sym.st_value(sym), Elf64Sym.st_size(sym),
                        Byte.toUnsignedInt(Elf64Sym.st_info(sym)), Byte.toUnsignedInt(Elf64Sym.st_other(sym)),
                        Short.toUnsignedInt(Elf64Sym.st_shndx(sym))));
            }
        }
    }

    // ------------------------------------------------------------------ notes and program headers

    public List<ElfProgramHeader> programHeaders() {
        List<ElfProgramHeader> out = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            MemorySegment ph = struct(phoff + PHDR_SIZE * i, Elf64Phdr.LAYOUT, "program header");
            out.add(new ElfProgramHeader(Elf64Phdr.p_type(ph), Elf64Phdr.p_flags(ph), Elf64Phdr.p_offset(ph),
                    Elf64Phdr.p_vaddr(ph), Elf64Phdr.p_paddr(ph), Elf64Phdr.p_filesz(ph), Elf64Phdr.p_memsz(ph),
                    Elf64Phdr.p_align(ph)));
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
        while (end - p >= NHDR_SIZE) {
            MemorySegment nh = struct(p, Elf64Nhdr.LAYOUT, "note header");
            long namesz = Integer.toUnsignedLong(Elf64Nhdr.n_namesz(nh));
            long descsz = Integer.toUnsignedLong(Elf64Nhdr.n_descsz(nh));
            int ntype = Elf64Nhdr.n_type(nh);
            long nameStart = p + NHDR_SIZE;
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
