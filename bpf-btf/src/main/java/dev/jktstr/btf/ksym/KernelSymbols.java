package dev.jktstr.btf.ksym;

import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfSection;
import dev.jktstr.btf.elf.ElfSymbol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A kernel's symbol table, sorted by address: from {@code System.map}, {@code /proc/kallsyms} text or an
 * ELF {@code .symtab}. Answers address → {@code symbol+offset} (binary search) and name → address
 * (hash lookup, global symbols preferred over local ones of the same name). Immutable and thread-safe.
 */
public final class KernelSymbols {
    /** Addresses with the sign bit flipped, so signed order is unsigned order. */
    private final long[] keys;
    private final String[] names;
    private final char[] types;
    private final String[] modules;
    private final Map<String, Integer> byName;

    private KernelSymbols(List<KernelSymbol> symbols) {
        KernelSymbol[] sorted = symbols.toArray(KernelSymbol[]::new);
        Arrays.sort(sorted, (a, b) -> Long.compareUnsigned(a.address(), b.address()));
        int n = sorted.length;
        keys = new long[n];
        names = new String[n];
        types = new char[n];
        modules = new String[n];
        byName = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            KernelSymbol s = sorted[i];
            keys[i] = s.address() ^ Long.MIN_VALUE;
            names[i] = s.name();
            types[i] = s.type();
            modules[i] = s.module();
            Integer prev = byName.get(s.name());
            if (prev == null || (Character.isLowerCase(types[prev]) && Character.isUpperCase(s.type()))) {
                byName.put(s.name(), i);
            }
        }
    }

    /** Parses a {@code System.map} file. */
    public static KernelSymbols fromSystemMap(Path file) {
        return parse(read(file), file.toString());
    }

    /** Parses {@code /proc/kallsyms}-format text from a file (e.g. {@code /proc/kallsyms} itself). */
    public static KernelSymbols fromKallsyms(Path file) {
        return parse(read(file), file.toString());
    }

    /** Parses System.map or kallsyms text ({@code ADDRESS TYPE NAME [\t[MODULE]]} per line). */
    public static KernelSymbols fromText(String text) {
        return parse(text.getBytes(StandardCharsets.UTF_8), "symbol text");
    }

    /** Symbols of an ELF file's {@code .symtab} (functions and objects with a name and a section). */
    public static KernelSymbols fromElf(Elf elf) {
        List<ElfSection> sections = elf.sections();
        List<KernelSymbol> out = new ArrayList<>();
        elf.forEachSymbol(ElfSection.SHT_SYMTAB, s -> {
            int t = s.type();
            if (s.name().isEmpty() || t == ElfSymbol.STT_SECTION || t == ElfSymbol.STT_FILE
                    || s.sectionIndex() == ElfSymbol.SHN_UNDEF) {
                return;
            }
            char c;
            if (s.sectionIndex() == ElfSymbol.SHN_ABS) {
                c = 'a';
            } else if (t == ElfSymbol.STT_FUNC) {
                c = 't';
            } else if (t == ElfSymbol.STT_OBJECT) {
                c = 'd';
            } else {
                boolean exec = s.sectionIndex() < sections.size() && (sections.get(s.sectionIndex()).flags() & 4) != 0;
                c = exec ? 't' : 'd';
            }
            if (s.bind() != ElfSymbol.STB_LOCAL) {
                c = Character.toUpperCase(c);
            }
            out.add(new KernelSymbol(s.value(), s.name(), c, null));
        });
        return new KernelSymbols(out);
    }

    /** Symbols given directly. */
    public static KernelSymbols of(List<KernelSymbol> symbols) {
        return new KernelSymbols(symbols);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KsymException("no such file: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** What Debian ships as {@code /boot/System.map-*}: one line pointing at the -dbg package. */
    private static final String PLACEHOLDER = "The real System.map is in the ";

    private static KernelSymbols parse(byte[] b, String what) {
        if (b.length < 512) {
            String text = new String(b, StandardCharsets.UTF_8);
            int at = text.indexOf(PLACEHOLDER);
            if (at >= 0) {
                String pkg = text.substring(at + PLACEHOLDER.length()).strip().replaceFirst(" package$", "");
                throw new SymbolFormatException(what + " is a placeholder with no symbols (\"" + text.strip()
                        + "\"): Debian ships the real System.map in " + pkg
                        + ", as /usr/lib/debug/boot/System.map-<release>");
            }
        }
        List<KernelSymbol> out = new ArrayList<>(b.length / 40 + 16);
        int n = b.length;
        int p = 0;
        int line = 0;
        while (p < n) {
            line++;
            int eol = p;
            while (eol < n && b[eol] != '\n') {
                eol++;
            }
            int end = eol > p && b[eol - 1] == '\r' ? eol - 1 : eol;
            if (end > p) {
                out.add(parseLine(b, p, end, what, line));
            }
            p = eol + 1;
        }
        return new KernelSymbols(out);
    }

    private static KernelSymbol parseLine(byte[] b, int p, int end, String what, int line) {
        int i = p;
        long addr = 0;
        int digits = 0;
        while (i < end && b[i] != ' ' && b[i] != '\t') {
            int d = Character.digit(b[i], 16);
            if (d < 0 || ++digits > 16) {
                throw bad(b, p, end, what, line);
            }
            addr = (addr << 4) | d;
            i++;
        }
        if (digits == 0 || i + 2 >= end || b[i] != ' ' || b[i + 2] != ' ' || b[i + 1] <= ' ') {
            throw bad(b, p, end, what, line);
        }
        char type = (char) b[i + 1];
        int nameStart = i + 3;
        int nameEnd = nameStart;
        while (nameEnd < end && b[nameEnd] != '\t' && b[nameEnd] != ' ') {
            nameEnd++;
        }
        if (nameEnd == nameStart) {
            throw bad(b, p, end, what, line);
        }
        String module = null;
        int m = nameEnd;
        while (m < end && (b[m] == '\t' || b[m] == ' ')) {
            m++;
        }
        if (m < end) {
            if (b[m] != '[' || b[end - 1] != ']' || end - 1 <= m + 1) {
                throw bad(b, p, end, what, line);
            }
            module = new String(b, m + 1, end - 1 - (m + 1), StandardCharsets.UTF_8);
        }
        String name = new String(b, nameStart, nameEnd - nameStart, StandardCharsets.UTF_8);
        return new KernelSymbol(addr, name, type, module);
    }

    private static SymbolFormatException bad(byte[] b, int p, int end, String what, int line) {
        String text = new String(b, p, Math.min(end - p, 120), StandardCharsets.UTF_8);
        return new SymbolFormatException(what + " line " + line + ": expected 'ADDRESS TYPE NAME [\\t[MODULE]]', got '"
                + text + "'");
    }

    // ------------------------------------------------------------------ queries

    public int size() {
        return keys.length;
    }

    private KernelSymbol at(int i) {
        return new KernelSymbol(keys[i] ^ Long.MIN_VALUE, names[i], types[i], modules[i]);
    }

    /** All symbols in address order. */
    public List<KernelSymbol> all() {
        List<KernelSymbol> out = new ArrayList<>(keys.length);
        for (int i = 0; i < keys.length; i++) {
            out.add(at(i));
        }
        return Collections.unmodifiableList(out);
    }

    /** The address of {@code name} (a global symbol if there are several of that name). */
    public OptionalLong address(String name) {
        Integer i = byName.get(name);
        return i == null ? OptionalLong.empty() : OptionalLong.of(keys[i] ^ Long.MIN_VALUE);
    }

    /** Like {@link #address(String)} but throws {@link KsymException} when absent. */
    public long requireAddress(String name) {
        return address(name).orElseThrow(() -> new KsymException("no kernel symbol '" + name + "'"));
    }

    /** The symbol named {@code name}. */
    public Optional<KernelSymbol> symbol(String name) {
        Integer i = byName.get(name);
        return i == null ? Optional.empty() : Optional.of(at(i));
    }

    /**
     * The symbol at or below {@code address} (the last one if several share that address, as kallsyms
     * resolves), as {@code symbol+offset}; empty below the first symbol.
     */
    public Optional<SymbolOffset> lookup(long address) {
        long key = address ^ Long.MIN_VALUE;
        int lo = 0;
        int hi = keys.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (keys[mid] <= key) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) {
            return Optional.empty();
        }
        return Optional.of(new SymbolOffset(at(found), address - (keys[found] ^ Long.MIN_VALUE)));
    }

    /** {@code symbol+0xoffset} for an address, or its hex value when no symbol covers it. */
    public String describe(long address) {
        return lookup(address).map(SymbolOffset::toString).orElse("0x" + Long.toHexString(address));
    }

    /** The same symbols moved by {@code slide} bytes (e.g. a KASLR offset). */
    public KernelSymbols withOffset(long slide) {
        List<KernelSymbol> out = new ArrayList<>(keys.length);
        for (int i = 0; i < keys.length; i++) {
            out.add(new KernelSymbol((keys[i] ^ Long.MIN_VALUE) + slide, names[i], types[i], modules[i]));
        }
        return new KernelSymbols(out);
    }
}
