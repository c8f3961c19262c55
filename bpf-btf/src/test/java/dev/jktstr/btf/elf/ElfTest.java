package dev.jktstr.btf.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.btf.TestEnv;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The ELF reader against readelf (the oracle) on the shared vmlinux, and on malformed headers. */
class ElfTest {

    @Test
    void sectionsProgramHeadersAndNotesMatchReadelf() throws Exception {
        Path vmlinux = TestEnv.requireKernelFile("vmlinux");
        TestEnv.requireTool("readelf", "install binutils (apt-get install binutils)");
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
}
