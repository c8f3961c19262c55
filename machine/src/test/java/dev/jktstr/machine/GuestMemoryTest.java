package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {

    private final Arena arena = Arena.ofConfined();
    // RAM [0, 0x1000) one segment, [0x1000, 0x3000) another (contiguous), hole, [0x10000, 0x11000).
    private final MemorySegment a = arena.allocate(0x1000);
    private final MemorySegment b = arena.allocate(0x2000);
    private final MemorySegment c = arena.allocate(0x1000);
    private final GuestMemory mem = GuestMemory.of(List.of(
            new GuestMemory.Mapping(0x10000, c), new GuestMemory.Mapping(0, a), new GuestMemory.Mapping(0x1000, b)));

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void layout() {
        assertThat(mem.ramRanges()).containsExactly(new GuestMemory.Range(0, 0x1000), new GuestMemory.Range(0x1000, 0x2000),
                new GuestMemory.Range(0x10000, 0x1000));
        assertThat(mem.holes()).containsExactly(new GuestMemory.Range(0x3000, 0xD000));
        assertThat(mem.ramSize()).isEqualTo(0x4000);
    }

    /** A guest-sized length outside RAM fails before anything is allocated (2 GiB would not fit the test heap). */
    @Test
    void readBytesChecksBoundsBeforeAllocating() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100; i++) {
            assertThatThrownBy(() -> mem.readBytes(0x10, Integer.MAX_VALUE - 8)).isInstanceOf(GuestMemoryException.class);
        }
        assertThat(mx.getCurrentThreadAllocatedBytes() - before).isLessThan(16L << 20);
    }

    @Test
    void readsAndWritesLittleEndianAcrossContiguousSegments() {
        mem.writeLong(0xFFC, 0x1122334455667788L);
        assertThat(mem.readLong(0xFFC)).isEqualTo(0x1122334455667788L);
        assertThat(a.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0xFFC)).isEqualTo((byte) 0x88);
        assertThat(b.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 0x44);
        assertThat(mem.readInt(0x1000)).isEqualTo(0x11223344);
        mem.writeBytes(0x10010, "hello\0world".getBytes(StandardCharsets.US_ASCII));
        assertThat(mem.readCString(0x10010, 64)).isEqualTo("hello");
        assertThat(mem.segment(0x10010, 5).byteSize()).isEqualTo(5);
    }

    @Test
    void accessesOutsideRamAreTypedErrors() {
        assertThatThrownBy(() -> mem.readLong(0x2FFC)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.readBytes(0x5000, 1)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.readBytes(0x10FFF, 2)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.readBytes(-1, 1)).isInstanceOf(GuestMemoryException.class);
        assertThatThrownBy(() -> mem.segment(0xF00, 0x200)).isInstanceOf(GuestMemoryException.class)
                .hasMessageContaining("read it in parts");
        assertThat(mem.isRam(0x2FF8, 8)).isTrue();
        assertThat(mem.isRam(0x2FF8, 9)).isFalse();
    }

    @Test
    void overlappingMappingsAreRejected() {
        assertThatThrownBy(() -> GuestMemory.of(List.of(new GuestMemory.Mapping(0, a), new GuestMemory.Mapping(0x800, c))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
