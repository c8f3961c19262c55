package dev.jktstr.btf.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
            case ZSTD -> List.of("zstd", "-19", "-q", "-c");
        };
    }

    static byte[] compress(Compression c, byte[] data, Path tmp) throws Exception {
        Path in = tmp.resolve("in");
        Path out = tmp.resolve("out." + c);
        Files.write(in, data);
        List<String> cmd = new ArrayList<>(command(c));
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
        int setupSects = 4;
        int pm = (setupSects + 1) * 512;
        ByteBuffer b = ByteBuffer.allocate(pm + 0x100 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) setupSects);
        b.putShort(0x1fe, (short) 0xaa55);
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) 0x20f);
        b.putInt(0x248, 0x100);
        b.putInt(0x24c, payload.length);
        b.position(pm + 0x100);
        b.put(payload);
        return b.array();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void decompressesEveryKernelCompressor(Compression c, @TempDir Path tmp) throws Exception {
        String tool = command(c).get(0);
        assumeTrue(TestEnv.hasTool(tool), tool + " not installed: apt-get install " + switch (c) {
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
        assumeTrue(TestEnv.hasTool("gzip"), "gzip not installed");
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
}
