package dev.jktstr.btf;

import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfSection;
import dev.jktstr.btf.image.BzImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Finds the raw BTF in what {@link Btf}'s factories are given: a file mapped read-only (never read
 * onto the heap) holding raw BTF, an ELF file's {@code .BTF} section, or an x86 bzImage whose
 * payload is decompressed first.
 */
final class BtfLoader {

    private BtfLoader() {
    }

    /** The raw BTF in {@code file} (raw BTF, ELF or bzImage), mapped or decompressed into {@code arena}. */
    static MemorySegment load(Path file, Arena arena) {
        return btfSection(map(file, arena), arena, file.toString());
    }

    /** The {@code .BTF} section of an open ELF file. */
    static MemorySegment fromElf(Elf elf) {
        ElfSection s = elf.section(".BTF").orElseThrow(
                () -> new BtfLookupException("ELF file has no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)"));
        return elf.data(s);
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

    /** Finds the raw BTF inside raw BTF, an ELF image or a bzImage; {@code what} names it in errors. */
    private static MemorySegment btfSection(MemorySegment whole, Arena arena, String what) {
        if (BtfSections.isRawBtf(whole)) {
            return whole;
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
}
