package dev.jktstr.btf.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.TestEnv;
import dev.jktstr.btf.elf.Elf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BzImageTest {

    @Test
    void btfFromSharedBzImageIsByteIdenticalToVmlinuxBtfSection() {
        Path bz = TestEnv.requireKernelFile("bzImage");
        Path vmlinux = TestEnv.requireKernelFile("vmlinux");
        try (Arena arena = Arena.ofConfined(); Elf elf = Elf.open(vmlinux)) {
            MemorySegment inner = BzImage.extractVmlinux(bz, arena);
            Elf innerElf = Elf.of(inner);
            assertThat(innerElf.machine()).isEqualTo(Elf.EM_X86_64);
            MemorySegment fromImage = innerElf.data(innerElf.section(".BTF").orElseThrow());
            MemorySegment fromVmlinux = elf.data(elf.section(".BTF").orElseThrow());
            assertThat(fromImage.byteSize()).isEqualTo(fromVmlinux.byteSize());
            assertThat(fromImage.mismatch(fromVmlinux)).as("first differing byte").isEqualTo(-1L);
        }
        try (Btf btf = Btf.load(bz)) {
            assertThat(btf.find("task_struct")).isPresent();
        }
    }

    @Test
    void sharedBzImageIsGzip() {
        Path bz = TestEnv.requireKernelFile("bzImage");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = map(bz, arena);
            assertThat(BzImage.isBzImage(image)).isTrue();
            assertThat(BzImage.compression(image)).isEqualTo(Compression.GZIP);
        }
    }

    private static MemorySegment map(Path p, Arena arena) {
        try (var ch = java.nio.channels.FileChannel.open(p)) {
            return ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Kernel-like test data: code-ish random bytes mixed with long zero runs and repeats. */
    static byte[] sample() {
        Random r = new Random(42);
        byte[] b = new byte[300_000];
        for (int i = 0; i < b.length; i++) {
            int region = (i / 4096) % 4;
            b[i] = switch (region) {
                case 0 -> (byte) r.nextInt(256);
                case 1 -> 0;
                case 2 -> (byte) (i % 7);
                default -> (byte) "jktstr BTF payload ".charAt(i % 19);
            };
        }
        return b;
    }

    /** The compressor command lines the kernel build uses (scripts/Makefile.lib), reading stdin. */
    static List<String> command(Compression c) {
        return switch (c) {
            case GZIP -> List.of("gzip", "-n", "-f", "-9");
            case BZIP2 -> List.of("bzip2", "-9");
            case LZMA -> List.of("lzma", "-9");
            case XZ -> List.of("xz", "--check=crc32", "--x86", "--lzma2=,dict=32MiB");
            case LZO -> List.of("lzop", "-9");
            case LZ4 -> List.of("lz4", "-l", "-9", "-c");
            // x86's cmd_zstd22_with_size: from a pipe, so no content size and the level's 128 MiB window
            case ZSTD -> List.of("zstd", "-22", "--ultra", "-q", "-c");
        };
    }

    static byte[] compress(Compression c, byte[] data, Path tmp) throws Exception {
        return compress(c, command(c), data, tmp);
    }

    static byte[] compress(Compression c, List<String> command, byte[] data, Path tmp) throws Exception {
        Path in = tmp.resolve("in");
        Path out = tmp.resolve("out." + c);
        Files.write(in, data);
        List<String> cmd = new ArrayList<>(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        assertThat(p.waitFor()).as(String.join(" ", cmd)).isZero();
        byte[] z = Files.readAllBytes(out);
        if (c == Compression.GZIP) {
            return z; // the gzip trailer already ends in the size
        }
        return ByteBuffer.allocate(z.length + 4).order(ByteOrder.LITTLE_ENDIAN).put(z).putInt(data.length).array();
    }

    /** A minimal bzImage: boot sector signature, setup header 2.15 with payload fields, the payload. */
    static byte[] fakeBzImage(byte[] payload) {
        return fakeBzImage(payload, 0);
    }

    /** The same with the setup header's init_size (0: not set). */
    static byte[] fakeBzImage(byte[] payload, int initSize) {
        int setupSects = 4;
        int pm = (setupSects + 1) * 512;
        ByteBuffer b = ByteBuffer.allocate(pm + 0x100 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) setupSects);
        b.putShort(0x1fe, (short) 0xaa55);
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) 0x20f);
        b.putInt(0x248, 0x100);
        b.putInt(0x24c, payload.length);
        b.putInt(0x260, initSize);
        b.position(pm + 0x100);
        b.put(payload);
        return b.array();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void decompressesEveryKernelCompressor(Compression c, @TempDir Path tmp) throws Exception {
        String tool = command(c).get(0);
        assumeTrue(HostProgram.present(tool), tool + " not installed: apt-get install " + switch (c) {
            case LZ4 -> "lz4";
            case ZSTD -> "zstd";
            case XZ, LZMA -> "xz-utils";
            case LZO -> "lzop";
            case BZIP2 -> "bzip2";
            case GZIP -> "gzip";
        } + " to test this format");
        byte[] data = sample();
        byte[] image = fakeBzImage(compress(c, data, tmp));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = MemorySegment.ofArray(image);
            assertThat(BzImage.compression(seg)).isEqualTo(c);
            MemorySegment out = BzImage.extractVmlinux(seg, arena);
            assertThat(out.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
        }
    }

    @Test
    void rejectsWrongRecordedSizeAndCorruptPayloads(@TempDir Path tmp) throws Exception {
        assumeTrue(HostProgram.present("gzip"), "gzip not installed");
        byte[] data = sample();
        byte[] z = compress(Compression.GZIP, data, tmp);
        byte[] truncated = java.util.Arrays.copyOf(z, z.length / 2);
        ByteBuffer.wrap(truncated).order(ByteOrder.LITTLE_ENDIAN).putInt(truncated.length - 4, data.length);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(truncated)), arena))
                    .isInstanceOf(KernelImageException.class);
            byte[] huge = z.clone();
            ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(huge.length - 4, -1);
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(huge)), arena))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("implausible");
            byte[] unknown = fakeBzImage(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(unknown), arena))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("unknown");
        }
    }

    /** The window log a zstd frame header declares (not single-segment frames). */
    static int zstdWindowLog(byte[] frame) {
        int descriptor = frame[4] & 0xff;
        assertThat(descriptor & 0x20).as("Single_Segment_flag: the frame must declare its window").isZero();
        return 10 + ((frame[5] & 0xff) >> 3);
    }

    @Test
    void zstdDecodesTheLargestWindowFromThePipeTheKernelBuildUses(@TempDir Path tmp) throws Exception {
        HostProgram.require("zstd", "apt-get install zstd to test this format");
        byte[] data = sample();
        // What the kernel's cmd_zstd22 would do with --long=31: a 2 GiB window, no content size. `zstd -dc`
        // itself refuses this without --memory=2048MB; aircompressor 2.0.3 refuses anything above 8 MiB.
        byte[] payload = compress(Compression.ZSTD, List.of("zstd", "--ultra", "-22", "--long=31", "-q", "-c"), data, tmp);
        assertThat(zstdWindowLog(payload)).isEqualTo(ZstdDecoder.WINDOW_LOG_MAX);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(payload)), arena);
            assertThat(out.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
        }
        byte[] kernelLike = compress(Compression.ZSTD, data, tmp);
        assertThat(zstdWindowLog(kernelLike)).as("zstd -22 --ultra from a pipe").isEqualTo(27);
    }

    @Test
    void zstdCorruptionAndOverrunsAreKernelImageExceptions(@TempDir Path tmp) throws Exception {
        HostProgram.require("zstd", "apt-get install zstd to test this format");
        byte[] data = sample();
        byte[] payload = compress(Compression.ZSTD, data, tmp);
        try (Arena arena = Arena.ofConfined()) {
            byte[] corrupt = payload.clone();
            for (int i = corrupt.length / 2; i < corrupt.length / 2 + 64; i++) {
                corrupt[i] ^= 0x5a;
            }
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(corrupt)), arena))
                    .isInstanceOf(KernelImageException.class).hasMessageStartingWith("corrupt ZSTD kernel payload: ");
            byte[] truncated = java.util.Arrays.copyOf(payload, payload.length / 3);
            ByteBuffer.wrap(truncated).order(ByteOrder.LITTLE_ENDIAN).putInt(truncated.length - 4, data.length);
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(truncated)), arena))
                    .isInstanceOf(KernelImageException.class).hasMessageStartingWith("corrupt ZSTD kernel payload: ");
            // The recorded size bounds the output: a payload that decodes to more is refused, not followed.
            byte[] understated = payload.clone();
            ByteBuffer.wrap(understated).order(ByteOrder.LITTLE_ENDIAN).putInt(understated.length - 4, data.length - 1);
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(understated)), arena))
                    .isInstanceOf(KernelImageException.class)
                    .hasMessage("ZSTD kernel payload decompresses to more than the " + (data.length - 1)
                            + " bytes the image records");
            byte[] overstated = payload.clone();
            ByteBuffer.wrap(overstated).order(ByteOrder.LITTLE_ENDIAN).putInt(overstated.length - 4, data.length + 1);
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(overstated)), arena))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("decompressed to " + data.length);
        }
    }

    @Test
    void theRecordedSizeIsBoundedByInitSize(@TempDir Path tmp) throws Exception {
        HostProgram.require("zstd", "apt-get install zstd to test this format");
        byte[] data = sample();
        byte[] payload = compress(Compression.ZSTD, data, tmp);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ok = MemorySegment.ofArray(fakeBzImage(payload, data.length + 4096));
            assertThat(BzImage.initSize(ok)).isEqualTo(data.length + 4096);
            assertThat(BzImage.extractVmlinux(ok, arena).byteSize()).isEqualTo(data.length);
            assertThatThrownBy(() -> BzImage.extractVmlinux(MemorySegment.ofArray(fakeBzImage(payload, data.length - 1)), arena))
                    .isInstanceOf(KernelImageException.class)
                    .hasMessageContaining("more than the setup header's init_size of " + (data.length - 1));
        }
    }

    @Test
    void withoutLibzstdAZstdKernelFailsSayingWhatToInstall(@TempDir Path tmp) throws Exception {
        HostProgram.require("zstd", "apt-get install zstd to test this format");
        Path image = tmp.resolve("bzImage");
        Files.write(image, fakeBzImage(compress(Compression.ZSTD, sample(), tmp)));
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(javaBin.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Djktstr.library.zstd=/nonexistent/libzstd.so.1", "-cp", System.getProperty("java.class.path"),
                ZstdMissingMain.class.getName(), image.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains(MissingDecoderException.class.getName() + ": a zstd-compressed kernel needs the system's"
                        + " zstd library (libzstd.so.1), which could not be loaded: /nonexistent/libzstd.so.1: ")
                .contains("apt-get install libzstd1").contains("package=libzstd1");
    }
}
