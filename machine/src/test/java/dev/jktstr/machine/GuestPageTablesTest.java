package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-built page tables in a fake guest RAM: every leaf size, both depths, and garbage tables. */
class GuestPageTablesTest {
    private static final long P = 1;
    private static final long HUGE = 1 << 7;

    private static long idx(long va, int level) {
        return (va >>> (12 + 9 * (level - 1))) & 511;
    }

    @Test
    void fourAndFiveLevelWalksWithEveryLeafSize() {
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory mem = GuestMemory.of(List.of(new GuestMemory.Mapping(0, arena.allocate(16 << 20, 4096))));
            long va4k = 0xFFFF_C900_1234_5678L;
            long va2m = 0xFFFF_C900_0060_1234L;
            long va1g = 0xFFFF_C901_4000_0042L;
            for (boolean five : new boolean[] {false, true}) {
                long root = 0x1000;
                long pml4 = five ? 0x2000 : root;
                long pdpt = 0x3000;
                long pd = 0x4000;
                long pt = 0x5000;
                for (long a = 0x1000; a < 0x8000; a += 8) {
                    mem.writeLong(a, 0);
                }
                if (five) {
                    mem.writeLong(root + 8 * idx(va4k, 5), pml4 | P);
                }
                mem.writeLong(pml4 + 8 * idx(va4k, 4), pdpt | P);
                mem.writeLong(pdpt + 8 * idx(va4k, 3), pd | P);
                mem.writeLong(pd + 8 * idx(va4k, 2), pt | P);
                mem.writeLong(pt + 8 * idx(va4k, 1), 0x77000 | P);
                mem.writeLong(pd + 8 * idx(va2m, 2), 0x600000 | P | HUGE);
                mem.writeLong(pdpt + 8 * idx(va1g, 3), 0x4000_0000L | P | HUGE);
                GuestPageTables w = new GuestPageTables(mem, root, five);
                assertThat(w.translate(va4k)).isEqualTo(0x77678);
                assertThat(w.translate(va2m)).isEqualTo(0x600000 + (va2m & 0x1F_FFFF));
                assertThat(w.translate(va1g)).isEqualTo(0x4000_0042L);
                assertThat(w.translate(va4k + 0x1000)).isEqualTo(GuestPageTables.NOT_MAPPED);
            }
        }
    }

    @Test
    void garbageTablesNeverReadOutsideRam() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(1 << 20, 4096);
            byte[] junk = new byte[1 << 20];
            new Random(5).nextBytes(junk);
            MemorySegment.copy(junk, 0, ram, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, junk.length);
            GuestMemory mem = GuestMemory.of(List.of(new GuestMemory.Mapping(0, ram)));
            Random r = new Random(9);
            for (int i = 0; i < 10_000; i++) {
                GuestPageTables w = new GuestPageTables(mem, r.nextInt(1 << 20), r.nextBoolean());
                long pa = w.translate(r.nextLong());
                assertThat(pa == GuestPageTables.NOT_MAPPED || pa >= 0).isTrue();
            }
        }
    }
}
