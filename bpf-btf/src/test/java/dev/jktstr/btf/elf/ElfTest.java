package dev.jktstr.btf.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.btf.BtfException;
import dev.jktstr.btf.ElfBuilder;
import dev.jktstr.btf.TestEnv;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ELF reader against readelf (the oracle) on the shared vmlinux, and on malformed headers. */
class ElfTest {

    @Test
    void sectionsProgramHeadersAndNotesMatchReadelf() throws Exception {
        Path vmlinux = TestEnv.requireKernelFile("vmlinux");
        HostProgram.require("readelf", "install binutils (apt-get install binutils)");
        String sections = TestEnv.run(List.of("readelf", "-S", "-W", vmlinux.toString()), null);
        Pattern row = Pattern.compile("\\[\\s*(\\d+)]\\s+(\\S+)\\s+\\S+\\s+([0-9a-f]{16})\\s+([0-9a-f]+)\\s+([0-9a-f]+)");
        Map<String, long[]> expected = new HashMap<>();
        Matcher m = row.matcher(sections);
        while (m.find()) {
            expected.put(m.group(2), new long[] {Long.parseLong(m.group(1)), Long.parseUnsignedLong(m.group(3), 16),
                Long.parseLong(m.group(4), 16), Long.parseLong(m.group(5), 16)});
        }
        assertThat(expected).containsKeys(".BTF", ".symtab", ".text");
        try (Elf elf = Elf.open(vmlinux)) {
            assertThat(elf.machine()).isEqualTo(Elf.EM_X86_64);
            assertThat(elf.type()).isEqualTo(Elf.ET_EXEC);
            for (var e : expected.entrySet()) {
                ElfSection s = elf.section(e.getKey()).orElseThrow();
                assertThat(new long[] {s.index(), s.address(), s.offset(), s.size()}).as(e.getKey())
                        .containsExactly(e.getValue());
            }
            String headers = TestEnv.run(List.of("readelf", "-h", "-l", "-W", vmlinux.toString()), null);
            Matcher ph = Pattern.compile("Number of program headers:\\s+(\\d+)").matcher(headers);
            assertThat(ph.find()).isTrue();
            assertThat(elf.programHeaders()).hasSize(Integer.parseInt(ph.group(1)));
            Matcher entry = Pattern.compile("Entry point address:\\s+0x([0-9a-f]+)").matcher(headers);
            assertThat(entry.find()).isTrue();
            assertThat(elf.entry()).isEqualTo(Long.parseUnsignedLong(entry.group(1), 16));
            List<ElfNote> notes = elf.notes();
            assertThat(notes).extracting(ElfNote::name).contains("Linux", "Xen");
        }
    }

    @Test
    void symbolsMatchSystemMap() throws Exception {
        Path vmlinux = TestEnv.requireKernelFile("vmlinux");
        try (Elf elf = Elf.open(vmlinux)) {
            Map<String, Long> syms = new HashMap<>();
            for (ElfSymbol s : elf.symbols()) {
                if (s.bind() == ElfSymbol.STB_GLOBAL) {
                    syms.put(s.name(), s.value());
                }
            }
            String map = java.nio.file.Files.readString(TestEnv.requireKernelFile("System.map"));
            for (String name : List.of("_text", "init_task", "schedule", "scx_bpf_dsq_nr_queued", "runqueues")) {
                Matcher m = Pattern.compile("(?m)^([0-9a-f]{16}) \\S " + Pattern.quote(name) + "$").matcher(map);
                assertThat(m.find()).as(name + " in System.map").isTrue();
                assertThat(syms.get(name)).as(name).isEqualTo(Long.parseUnsignedLong(m.group(1), 16));
            }
            assertThat(elf.dynamicSymbols()).isEmpty();
        }
    }

    /** The generated layouts are native-order and aligned; the file is neither, necessarily. */
    @Test
    void readsBigEndianAndMisalignedFilesAlike() {
        byte[] btf = {1, 2, 3, 4, 5};
        byte[] le = ElfBuilder.small(btf);
        byte[] misaligned = new byte[le.length + 3];
        System.arraycopy(le, 0, misaligned, 3, le.length);
        Elf little = Elf.of(MemorySegment.ofArray(le));
        Elf big = Elf.of(MemorySegment.ofArray(ElfBuilder.small(btf, ByteOrder.BIG_ENDIAN)));
        Elf shifted = Elf.of(MemorySegment.ofArray(misaligned).asSlice(3));

        assertThat(little.isBigEndian()).isFalse();
        assertThat(big.isBigEndian()).isTrue();
        assertThat(little.sections()).extracting(ElfSection::name)
                .containsExactly("", ".text", ".BTF", ".note.test", ".symtab", ".strtab", ".shstrtab");
        assertThat(little.symbols()).extracting(ElfSymbol::name).containsExactly("helper", "main", "global_item");
        assertThat(little.symbols().get(2)).isEqualTo(new ElfSymbol("global_item", 0x402000, 112, 0x11, 0, 2));
        assertThat(little.programHeaders()).extracting(ElfProgramHeader::type)
                .containsExactly(ElfProgramHeader.PT_LOAD, ElfProgramHeader.PT_NOTE);
        assertThat(little.notes()).singleElement().satisfies(n -> {
            assertThat(n.name()).isEqualTo("Linux");
            assertThat(n.type()).isEqualTo(0x13);
        });
        for (Elf other : List.of(big, shifted)) {
            assertThat(other.machine()).isEqualTo(Elf.EM_X86_64);
            assertThat(other.type()).isEqualTo(Elf.ET_EXEC);
            assertThat(other.entry()).isEqualTo(little.entry()).isEqualTo(0x401000);
            assertThat(other.sections()).isEqualTo(little.sections());
            assertThat(other.symbols()).isEqualTo(little.symbols());
            assertThat(other.programHeaders()).isEqualTo(little.programHeaders());
            assertThat(other.notes()).extracting(ElfNote::name, ElfNote::type).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("Linux", 0x13));
            assertThat(other.data(other.section(".BTF").orElseThrow()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .isEqualTo(btf);
        }
    }

    @Test
    void rejectsMalformedHeaders() {
        assertThatThrownBy(() -> Elf.of(MemorySegment.ofArray(new byte[] {1, 2, 3, 4})))
                .isInstanceOf(ElfFormatException.class).hasMessageContaining("not an ELF");
        byte[] h = new byte[64];
        h[0] = 0x7f;
        h[1] = 'E';
        h[2] = 'L';
        h[3] = 'F';
        h[4] = 1;
        assertThatThrownBy(() -> Elf.of(MemorySegment.ofArray(h))).isInstanceOf(ElfFormatException.class)
                .hasMessageContaining("32-bit");
        h[4] = 2;
        h[5] = 1;
        h[40] = 0x40; // shoff = 64, beyond the file
        h[58] = 64;
        h[60] = 3;
        assertThatThrownBy(() -> Elf.of(MemorySegment.ofArray(h))).isInstanceOf(ElfFormatException.class)
                .hasMessageContaining("outside");
    }

    /** ELF errors are their own family, not BTF's. */
    @Test
    void missingFilesAndBadDataAreElfExceptions(@TempDir Path dir) {
        Path missing = dir.resolve("vmlinux");
        assertThatThrownBy(() -> Elf.open(missing)).isInstanceOf(ElfException.class)
                .isNotInstanceOf(BtfException.class).hasMessage("no such file: " + missing);
        assertThatThrownBy(() -> Elf.of(MemorySegment.ofArray(new byte[8]))).isInstanceOf(ElfFormatException.class)
                .isInstanceOf(ElfException.class).isNotInstanceOf(BtfException.class);
    }
}
