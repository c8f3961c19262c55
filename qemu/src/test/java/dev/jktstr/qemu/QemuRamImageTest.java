package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RAM part of a snapshot file: round trip against the original memory, and the checks before a restore. */
class QemuRamImageTest {

    private static final long NODE = 1 << 20; // 256 pages per node

    @TempDir
    Path dir;

    private static List<MemorySegment> nodes(Arena arena, int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> arena.allocate(NODE, 4096)).toList();
    }

    /** Random bytes in some pages (runs, single pages, a node's last page, a page with one non-zero byte). */
    private static void fill(List<MemorySegment> nodes) {
        Random r = new Random(42);
        for (MemorySegment n : nodes) {
            for (long p = 0; p < NODE / 4096; p++) {
                if (r.nextInt(3) == 0 || p == NODE / 4096 - 1) {
                    byte[] b = new byte[4096];
                    r.nextBytes(b);
                    MemorySegment.copy(MemorySegment.ofArray(b), 0, n, p * 4096, 4096);
                }
            }
            n.set(ValueLayout.JAVA_BYTE, 5 * 4096 + 4095, (byte) 1);
        }
    }

    private Path withDevices(int bytes) throws IOException {
        return Files.write(dir.resolve("state.bin"), new byte[bytes]); // stands in for QEMU's stream
    }

    @Test
    void restoredMemoryEqualsTheSavedMemoryPageForPage() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> saved = nodes(arena, 2);
            fill(saved);
            Path file = withDevices(12345);
            QemuRamImage.append(file, saved);
            QemuRamImage.Layout l = QemuRamImage.layout(file, 2, NODE);
            assertThat(l.devicesLength()).isEqualTo(12345);
            assertThat(Files.size(file)).as("only non-zero pages are stored")
                    .isLessThan(12345 + 2 * NODE);

            List<MemorySegment> restored = nodes(arena, 2);
            QemuRamImage.restore(file, l, restored);
            for (int i = 0; i < 2; i++) {
                assertThat(restored.get(i).mismatch(saved.get(i))).as("node %d", i).isEqualTo(-1);
            }
        }
    }

    @Test
    void aTrailerForAnotherLayoutOrATruncatedFileIsRefusedBeforeAnyCopy() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> saved = nodes(arena, 1);
            fill(saved);
            Path file = withDevices(100);
            QemuRamImage.append(file, saved);
            assertThatThrownBy(() -> QemuRamImage.layout(file, 2, NODE)).isInstanceOf(IOException.class)
                    .hasMessageContaining("does not fit a guest of 2 nodes");
            assertThatThrownBy(() -> QemuRamImage.layout(file, 1, 2 * NODE)).isInstanceOf(IOException.class);
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(f.length() - 4096);
            }
            assertThatThrownBy(() -> QemuRamImage.layout(file, 1, NODE)).isInstanceOf(IOException.class)
                    .hasMessageContaining("no jktstr RAM trailer");
            Files.write(file, new byte[10]);
            assertThatThrownBy(() -> QemuRamImage.layout(file, 1, NODE)).isInstanceOf(IOException.class)
                    .hasMessageContaining("too short");
        }
    }

    @Test
    void aBitmapThatDisagreesWithThePageCountIsRefused() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> saved = nodes(arena, 1);
            fill(saved);
            Path file = withDevices(100);
            QemuRamImage.append(file, saved);
            QemuRamImage.Layout l = QemuRamImage.layout(file, 1, NODE);
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(l.bitmapOffset());
                int b = f.read();
                f.seek(l.bitmapOffset());
                f.write(b ^ 0x80);
            }
            List<MemorySegment> restored = nodes(arena, 1);
            assertThatThrownBy(() -> QemuRamImage.restore(file, l, restored)).isInstanceOf(IOException.class)
                    .hasMessageContaining("bitmap names");
        }
    }
}
