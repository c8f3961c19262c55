package dev.jktstr.btf.ksym;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.btf.BtfException;
import dev.jktstr.btf.TestEnv;
import dev.jktstr.btf.elf.Elf;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelSymbolsTest {

    @Test
    void systemMapAgreesWithElfSymtab() {
        KernelSymbols map = KernelSymbols.fromSystemMap(TestEnv.requireKernelFile("System.map"));
        KernelSymbols elf;
        try (Elf e = Elf.open(TestEnv.requireKernelFile("vmlinux"))) {
            elf = KernelSymbols.fromElf(e);
        }
        assertThat(map.size()).isGreaterThan(100_000);
        for (String name : new String[] {"_text", "schedule", "init_task", "scx_bpf_dsq_nr_queued", "entry_SYSCALL_64"}) {
            long a = map.requireAddress(name);
            assertThat(elf.address(name)).as(name).hasValue(a);
            assertThat(map.lookup(a).orElseThrow().toString()).isEqualTo(map.lookup(a).orElseThrow().symbol().name());
            assertThat(map.lookup(a + 5).orElseThrow().offset()).isEqualTo(5);
        }
        long schedule = map.requireAddress("schedule");
        assertThat(map.describe(schedule + 0x10)).startsWith("schedule+0x10");
        assertThat(map.lookup(0).orElseThrow().offset()).isZero(); // per-cpu symbols start at 0
    }

    @Test
    void kallsymsTextWithModulesAndOffsets() {
        KernelSymbols s = KernelSymbols.fromText("""
                ffffffff81000000 T _text
                ffffffff81000100 t helper
                ffffffff81000200 T schedule
                ffffffffc0001000 t xfs_init\t[xfs]
                """);
        assertThat(s.size()).isEqualTo(4);
        assertThat(s.lookup(0xffffffff81000150L).orElseThrow().toString()).isEqualTo("helper+0x50");
        assertThat(s.symbol("xfs_init").orElseThrow().module()).isEqualTo("xfs");
        assertThat(s.address("schedule")).hasValue(0xffffffff81000200L);
        assertThat(s.withOffset(0x1000).address("schedule")).hasValue(0xffffffff81001200L);
        assertThat(s.address("nope")).isEmpty();
        assertThat(s.lookup(0x1000)).isEmpty();
    }

    @Test
    void malformedLinesNameTheLine() {
        assertThatThrownBy(() -> KernelSymbols.fromText("ffffffff81000000 T ok\nzzzz T bad\n"))
                .isInstanceOf(SymbolFormatException.class).hasMessageContaining("line 2");
        assertThatThrownBy(() -> KernelSymbols.fromText("ffffffff81000000 T\n")).isInstanceOf(SymbolFormatException.class);
    }

    /** Symbol errors are their own family, not BTF's. */
    @Test
    void missingSymbolsAndFilesAreKsymExceptions(@TempDir Path dir) {
        KernelSymbols s = KernelSymbols.fromText("ffffffff81000000 T _text\n");
        assertThatThrownBy(() -> s.requireAddress("nope")).isInstanceOf(KsymException.class)
                .isNotInstanceOf(BtfException.class).hasMessage("no kernel symbol 'nope'");
        Path missing = dir.resolve("System.map");
        assertThatThrownBy(() -> KernelSymbols.fromSystemMap(missing)).isInstanceOf(KsymException.class)
                .hasMessage("no such file: " + missing);
        assertThat(new SymbolFormatException("x")).isInstanceOf(KsymException.class);
    }

    @Test
    void systemMapFileIsParsedInFull() {
        Path p = TestEnv.requireKernelFile("System.map");
        KernelSymbols s = KernelSymbols.fromSystemMap(p);
        assertThat(s.all()).isSortedAccordingTo((a, b) -> Long.compareUnsigned(a.address(), b.address()));
    }

    @Test
    void debiansPlaceholderSystemMapSaysWhereTheRealOneIs() {
        // /boot/System.map-* in Debian's linux-image packages, byte for byte
        String placeholder = "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n";
        assertThatThrownBy(() -> KernelSymbols.fromText(placeholder))
                .isInstanceOf(SymbolFormatException.class)
                .hasMessageContaining("placeholder with no symbols")
                .hasMessageContaining("Debian ships the real System.map in linux-image-<version>-dbg, as "
                        + "/usr/lib/debug/boot/System.map-<release>");
    }
}
