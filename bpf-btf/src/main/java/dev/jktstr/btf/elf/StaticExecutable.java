package dev.jktstr.btf.elf;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Whether a file can run in a bare guest (busybox and the agent, no dynamic loader, no libraries): a statically
 * linked x86-64 ELF executable — the ELF magic, ELFCLASS64, little-endian, {@code EM_X86_64}, an executable
 * ({@code ET_EXEC}, or {@code ET_DYN} for static-pie) with program headers, no {@code PT_INTERP} and no
 * {@code DT_NEEDED} library. {@link #problem} says what the file is instead, so a caller can refuse it before booting
 * anything ("must be a statically linked x86-64 ELF; it is a dynamically linked x86-64 ELF (interpreter ...)").
 */
public final class StaticExecutable {
    /** The words callers use when they refuse a file. */
    public static final String REQUIREMENT = "must be a statically linked x86-64 ELF";

    private static final long DT_NULL = 0, DT_NEEDED = 1;

    private StaticExecutable() {
    }

    /**
     * What {@code file} is when it is not a statically linked x86-64 ELF executable (a phrase such as
     * "a shell script (#!/bin/sh)", "not an ELF file (it starts with 3c 21 44 4f)", "a dynamically linked x86-64 ELF
     * (interpreter /lib64/ld-linux-x86-64.so.2)"); empty when it is one.
     *
     * @throws IOException when the file cannot be read
     */
    public static Optional<String> problem(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(128);
        }
        if (head.length == 0) {
            return Optional.of("an empty file");
        }
        if (head.length >= 2 && head[0] == '#' && head[1] == '!') {
            String line = new String(head, StandardCharsets.UTF_8).lines().findFirst().orElse("#!");
            return Optional.of("a script (" + printable(line) + ")");
        }
        if (!(head.length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F')) {
            return Optional.of("not an ELF file (it starts with " + HexFormat.ofDelimiter(" ").formatHex(head, 0,
                    Math.min(8, head.length)) + ")");
        }
        if (head.length < 64) {
            return Optional.of("a truncated ELF file (" + head.length + " bytes)");
        }
        if (head[4] != 2) {
            return Optional.of(head[4] == 1 ? "a 32-bit ELF (ELFCLASS32) for " + machineName(le16(head, 18))
                    : "an ELF of unknown class " + head[4]);
        }
        if (head[5] != 1) {
            return Optional.of("a big-endian ELF for " + machineName(Short.toUnsignedInt(
                    (short) ((head[18] & 0xff) << 8 | head[19] & 0xff))));
        }
        try (Elf elf = Elf.open(file)) {
            if (elf.machine() != Elf.EM_X86_64) {
                return Optional.of("a 64-bit ELF for " + machineName(elf.machine()) + ", not x86-64");
            }
            switch (elf.type()) {
                case Elf.ET_EXEC, Elf.ET_DYN -> { }
                case Elf.ET_REL -> {
                    return Optional.of("an x86-64 ELF relocatable object (a .o file), not an executable");
                }
                case Elf.ET_CORE -> {
                    return Optional.of("an x86-64 ELF core dump, not an executable");
                }
                default -> {
                    return Optional.of("an x86-64 ELF of type " + elf.type() + ", not an executable");
                }
            }
            if (elf.programHeaders().isEmpty()) {
                return Optional.of("an x86-64 ELF without program headers, not an executable");
            }
            for (ElfProgramHeader ph : elf.programHeaders()) {
                if (ph.type() == ElfProgramHeader.PT_INTERP) {
                    return Optional.of("a dynamically linked x86-64 ELF (interpreter " + interpreter(elf, ph) + ")");
                }
            }
            for (ElfProgramHeader ph : elf.programHeaders()) {
                if (ph.type() == ElfProgramHeader.PT_DYNAMIC && needsLibraries(elf.segment(), ph)) {
                    return Optional.of("an x86-64 ELF that needs shared libraries (a .so, or linked without a loader)");
                }
            }
            return Optional.empty();
        } catch (ElfFormatException e) {
            return Optional.of("a malformed ELF file (" + e.getMessage() + ")");
        }
    }

    /** The PT_INTERP path, or "?" when it lies outside the file. */
    private static String interpreter(Elf elf, ElfProgramHeader ph) {
        MemorySegment s = elf.segment();
        if (ph.offset() < 0 || ph.fileSize() <= 0 || ph.fileSize() > 4096 || ph.offset() > s.byteSize() - ph.fileSize()) {
            return "?";
        }
        byte[] b = s.asSlice(ph.offset(), ph.fileSize()).toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return printable(new String(b, 0, n, StandardCharsets.UTF_8));
    }

    /** Whether the dynamic section names a DT_NEEDED library (a static-pie has a dynamic section but none). */
    private static boolean needsLibraries(MemorySegment s, ElfProgramHeader ph) {
        ValueLayout.OfLong le = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        long end = Math.min(s.byteSize(), ph.offset() + Math.max(0, ph.fileSize()));
        for (long p = Math.max(0, ph.offset()); p >= 0 && p + 16 <= end; p += 16) {
            long tag = s.get(le, p);
            if (tag == DT_NULL) {
                return false;
            }
            if (tag == DT_NEEDED) {
                return true;
            }
        }
        return false;
    }

    private static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static String machineName(int machine) {
        return switch (machine) {
            case 3 -> "i386";
            case 8 -> "MIPS";
            case 20 -> "PowerPC";
            case 21 -> "PowerPC64";
            case 22 -> "s390";
            case 40 -> "ARM";
            case Elf.EM_X86_64 -> "x86-64";
            case Elf.EM_AARCH64 -> "AArch64";
            case 243 -> "RISC-V";
            case 258 -> "LoongArch";
            case Elf.EM_BPF -> "BPF";
            default -> "machine " + machine;
        };
    }

    /** At most 80 characters, controls as '?': the text comes from a file the user named. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(80).forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return s.codePointCount(0, s.length()) > 80 ? b + "…" : b.toString();
    }
}
