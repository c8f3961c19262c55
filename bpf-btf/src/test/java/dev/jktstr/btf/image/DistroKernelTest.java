package dev.jktstr.btf.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.TestEnv;
import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfProgramHeader;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.btf.ksym.SymbolFormatException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel-facing features on real Debian kernels ({@link DistroKernels}: by default the kernel
 * {@code linux-image-amd64} installs, and Debian 12's 6.12 cloud kernel, whose bzImage is
 * {@code zstd -22 --ultra} with a 128 MiB window): the payload decodes to what the system's own
 * decompressor gives; the BTF dump of the bzImage equals {@code bpftool btf dump file <vmlinux> format
 * raw} on the vmlinux inside; symbols load from the package's System.map (the real one, from the -dbg
 * package) and agree with the image ({@code linux_banner} points at the "Linux version" string).
 * Downloads once into {@code ~/.cache/jktstr/distro-kernels}; skips with the reason without apt or network.
 */
class DistroKernelTest {

    static Stream<String> kernels() {
        return DistroKernels.specs().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void payloadDecodesToWhatTheSystemDecompressorGives(String spec, @TempDir Path tmp) throws Exception {
        DistroKernels.Kernel k = DistroKernels.require(spec);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = map(k.vmlinuz(), arena);
            Compression c = BzImage.compression(image);
            assertThat(c).as("compression of %s against its config", k).isEqualTo(k.configuredCompression());
            long t0 = System.nanoTime();
            MemorySegment vmlinux = BzImage.extractVmlinux(image, arena);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("%s: %s payload of %d bytes -> %d bytes in %d ms%n", k, c,
                    BzImage.payload(image).byteSize(), vmlinux.byteSize(), ms);
            Elf elf = Elf.of(vmlinux);
            assertThat(elf.machine()).isEqualTo(Elf.EM_X86_64);
            assertThat(elf.section(".BTF")).as(".BTF in %s", k).isPresent();

            List<String> tool = systemDecompressor(c);
            assumeTrue(HostProgram.present(tool.getFirst()), tool.getFirst() + " not installed: cannot compare with it");
            MemorySegment payload = BzImage.payload(image);
            Path in = tmp.resolve("payload");
            Files.write(in, payload.asSlice(0, payload.byteSize() - (c == Compression.GZIP ? 0 : 4))
                    .toArray(ValueLayout.JAVA_BYTE));
            Path out = tmp.resolve("decoded");
            Process p = new ProcessBuilder(tool).redirectInput(in.toFile()).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertThat(p.waitFor()).as(String.join(" ", tool)).isZero();
            try (FileChannel ch = FileChannel.open(out, StandardOpenOption.READ)) {
                MemorySegment expected = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                assertThat(vmlinux.byteSize()).isEqualTo(expected.byteSize());
                assertThat(vmlinux.mismatch(expected)).as("first byte that differs from %s", tool).isEqualTo(-1L);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void btfDumpOfTheBzImageEqualsBpftoolOnTheVmlinuxInside(String spec, @TempDir Path tmp) throws Exception {
        DistroKernels.Kernel k = DistroKernels.require(spec);
        HostProgram.require("bpftool", "install bpftool (Debian: apt-get install bpftool)");
        Path vmlinux = tmp.resolve("vmlinux");
        try (Arena arena = Arena.ofConfined()) {
            Files.write(vmlinux, BzImage.extractVmlinux(k.vmlinuz(), arena).toArray(ValueLayout.JAVA_BYTE));
        }
        Path expected = tmp.resolve("bpftool.raw");
        TestEnv.run(List.of("bpftool", "btf", "dump", "file", vmlinux.toString(), "format", "raw"), expected);
        Path actual = tmp.resolve("jktstr.raw");
        try (Btf btf = Btf.load(k.vmlinuz()); BufferedWriter w = Files.newBufferedWriter(actual, StandardCharsets.UTF_8)) {
            btf.dumpRaw(w); // what `jktstr btf dump <vmlinuz> --format raw` prints
        }
        long lines = sameLines(expected, actual);
        System.out.printf("%s: raw BTF dump equals bpftool's, %d lines%n", k, lines);
        assertThat(lines).isGreaterThan(100_000);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void symbolsLoadFromThePackagesSystemMapAndMatchTheImage(String spec) throws Exception {
        DistroKernels.Kernel k = DistroKernels.require(spec);
        assertThatThrownBy(() -> KernelSymbols.fromSystemMap(k.placeholderSystemMap()))
                .isInstanceOf(SymbolFormatException.class).hasMessageContaining("placeholder")
                .hasMessageContaining("-dbg");
        Path map = k.systemMap().orElse(null);
        assumeTrue(map != null, k + ": the real System.map (in " + k.pkg() + "-dbg) could not be fetched: "
                + k.systemMapMissingReason());
        KernelSymbols syms = KernelSymbols.fromSystemMap(map);
        assertThat(syms.size()).isGreaterThan(50_000);
        long banner = syms.requireAddress("linux_banner");
        assertThat(syms.describe(syms.requireAddress("schedule") + 0x10)).isEqualTo("schedule+0x10");
        try (Arena arena = Arena.ofConfined()) {
            Elf elf = Elf.of(BzImage.extractVmlinux(k.vmlinuz(), arena));
            String text = stringAt(elf, banner);
            assertThat(text).as("linux_banner in the image").startsWith("Linux version " + k.release() + " ");
            System.out.printf("%s: %d symbols; linux_banner = %s%n", k, syms.size(), text.strip());
        }
    }

    /** The NUL-terminated string at virtual address {@code va}, through the PT_LOAD that maps it. */
    private static String stringAt(Elf elf, long va) {
        for (ElfProgramHeader ph : elf.programHeaders()) {
            if (ph.type() == ElfProgramHeader.PT_LOAD && Long.compareUnsigned(va, ph.virtualAddress()) >= 0
                    && Long.compareUnsigned(va - ph.virtualAddress(), ph.fileSize()) < 0) {
                MemorySegment s = elf.segment().asSlice(ph.offset() + (va - ph.virtualAddress()));
                return s.asSlice(0, Math.min(s.byteSize(), 512)).getString(0);
            }
        }
        return fail("no PT_LOAD maps 0x" + Long.toHexString(va));
    }

    /** The command that decodes the kernel's payload stream from stdin, as the system's tool. */
    static List<String> systemDecompressor(Compression c) {
        return switch (c) {
            case GZIP -> List.of("gzip", "-dc");
            case BZIP2 -> List.of("bzip2", "-dc");
            case LZMA -> List.of("xz", "-dc", "--format=lzma");
            case XZ -> List.of("xz", "-dc");
            case LZO -> List.of("lzop", "-dc");
            case LZ4 -> List.of("lz4", "-dc");
            case ZSTD -> List.of("zstd", "-dc", "--long=31");
        };
    }

    private static long sameLines(Path expected, Path actual) throws Exception {
        try (BufferedReader e = Files.newBufferedReader(expected, StandardCharsets.UTF_8);
             BufferedReader a = Files.newBufferedReader(actual, StandardCharsets.UTF_8)) {
            long n = 0;
            while (true) {
                String x = e.readLine();
                String y = a.readLine();
                n++;
                if (x == null && y == null) {
                    return n - 1;
                }
                if (x == null || !x.equals(y)) {
                    List<String> both = new ArrayList<>();
                    both.add("line " + n + " differs:");
                    both.add("  bpftool: " + x);
                    both.add("  jktstr:  " + y);
                    fail(String.join("\n", both));
                }
            }
        }
    }

    private static MemorySegment map(Path p, Arena arena) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }
}
