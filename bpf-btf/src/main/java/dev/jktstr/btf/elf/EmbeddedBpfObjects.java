package dev.jktstr.btf.elf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The BPF objects a program carries inside itself: a libbpf skeleton embeds its whole BPF ELF ({@code e_machine}
 * {@code EM_BPF}) as bytes in {@code .rodata}, which is how a sched_ext scheduler binary ships its BPF side. Found by
 * scanning the file for the ELF magic past offset 0; a match that is not a readable BPF ELF is skipped.
 */
public final class EmbeddedBpfObjects {
    private static final long EHDR_SIZE = 64;
    private static final long E_MACHINE = 18, E_SHOFF = 40, E_SHENTSIZE = 58, E_SHNUM = 60;

    private EmbeddedBpfObjects() {
    }

    /** Each BPF ELF embedded in {@code file}, as a slice of it from its header to the end of its last part. */
    public static List<MemorySegment> in(MemorySegment file) {
        List<MemorySegment> out = new ArrayList<>();
        long end = file.byteSize() - EHDR_SIZE;
        for (long at = 1; at <= end; at++) {
            if (file.get(ValueLayout.JAVA_BYTE, at) != 0x7f || !Elf.isElf(file.asSlice(at, 4))
                    || machine(file, at) != Elf.EM_BPF) {
                continue;
            }
            MemorySegment rest = file.asSlice(at);
            try {
                Elf elf = Elf.of(rest);
                MemorySegment object = rest.asSlice(0, extent(elf, rest));
                out.add(object);
                at += object.byteSize() - 1; // nothing else starts inside it
            } catch (ElfException | IndexOutOfBoundsException e) {
                // the magic by chance, or a damaged object: not one we can read
            }
        }
        return out;
    }

    private static int machine(MemorySegment file, long at) {
        boolean big = file.get(ValueLayout.JAVA_BYTE, at + 5) == 2; // EI_DATA: ELFDATA2MSB
        return Short.toUnsignedInt(file.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(
                big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN), at + E_MACHINE));
    }

    /** Where the object ends: past its section header table and the contents of its last section. */
    private static long extent(Elf elf, MemorySegment s) {
        ByteOrder order = elf.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        long shoff = s.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order), E_SHOFF);
        long shentsize = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), E_SHENTSIZE));
        long end = Math.max(EHDR_SIZE, shoff + shentsize * elf.sections().size());
        for (ElfSection sec : elf.sections()) {
            if (sec.type() != ElfSection.SHT_NOBITS && sec.type() != ElfSection.SHT_NULL) {
                end = Math.max(end, sec.offset() + sec.size());
            }
        }
        return Math.min(end, s.byteSize());
    }
}
