package dev.jktstr.btf.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import dev.jktstr.btf.bpf.Bpf.BpfMap;
import dev.jktstr.btf.bpf.Bpf.BpfProg;
import org.junit.jupiter.api.Test;

/** bpf(2) on this host, where permitted; otherwise skipped with the errno that said no. */
class BpfTest {

    private static BpfMap createOrSkip() {
        try {
            return Bpf.createMap(1, 4, 8, 16, "jktstr_test");
        } catch (BpfException e) {
            assumeTrue(false, "BPF_MAP_CREATE not permitted here (" + e.errnoName()
                    + "): run as root with CAP_BPF/CAP_SYS_ADMIN and unprivileged bpf allowed");
            throw e;
        }
    }

    private static byte[] key(int k) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(k).array();
    }

    private static byte[] value(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    @Test
    void createdMapIsEnumeratedAndReadable() {
        try (BpfMap map = createOrSkip()) {
            BpfMapInfo info = map.info();
            assertThat(info.type()).isEqualTo(1);
            assertThat(info.keySize()).isEqualTo(4);
            assertThat(info.valueSize()).isEqualTo(8);
            assertThat(info.maxEntries()).isEqualTo(16);
            assertThat(info.name()).isEqualTo("jktstr_test");
            List<Integer> ids;
            try {
                ids = Bpf.mapIds();
            } catch (BpfException e) {
                assumeTrue(false, "BPF_MAP_GET_NEXT_ID not permitted (" + e.errnoName() + "): needs CAP_SYS_ADMIN");
                return;
            }
            assertThat(ids).contains(info.id());
            try (BpfMap again = Bpf.openMap(info.id())) {
                assertThat(again.info().id()).isEqualTo(info.id());
            }
            assertThat(map.lookup(key(7))).isNull();
            assertThat(map.nextKey(null)).isNull();
            map.update(key(7), value(0x1122334455667788L));
            map.update(key(9), value(42));
            assertThat(map.lookup(key(7))).isEqualTo(value(0x1122334455667788L));
            assertThat(map.keys()).hasSize(2).anySatisfy(k -> assertThat(k).isEqualTo(key(9)));
        }
    }

    @Test
    void programIdsAndInfo() {
        List<Integer> ids;
        try {
            ids = Bpf.progIds();
        } catch (BpfException e) {
            assumeTrue(false, "BPF_PROG_GET_NEXT_ID not permitted (" + e.errnoName() + "): needs CAP_SYS_ADMIN");
            return;
        }
        int own = loadTrivialProgram();
        try {
            try (BpfProg p = Bpf.openProg(Bpf.progIds().getLast())) {
                BpfProgInfo info = p.info();
                assertThat(Bpf.progIds()).contains(info.id());
                assertThat(info.tag()).hasSize(16);
                assertThat(info.name()).isEqualTo("jktstr_ret0");
                assertThat(info.type()).isEqualTo(1);
            }
        } finally {
            BpfSyscall.close(own);
        }
    }

    /** BPF_PROG_LOAD of a socket filter "r0 = 0; exit", named jktstr_ret0; skips if not permitted. */
    private static int loadTrivialProgram() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(16, 8);
            insns.set(ValueLayout.JAVA_LONG, 0, 0xb7L);  // BPF_ALU64 | BPF_MOV | BPF_K, r0 = 0
            insns.set(ValueLayout.JAVA_LONG, 8, 0x95L);  // BPF_JMP | BPF_EXIT
            MemorySegment license = arena.allocateFrom("GPL");
            MemorySegment attr = arena.allocate(BpfSyscall.ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, 1);        // BPF_PROG_TYPE_SOCKET_FILTER
            attr.set(ValueLayout.JAVA_INT, 4, 2);
            attr.set(ValueLayout.JAVA_LONG, 8, insns.address());
            attr.set(ValueLayout.JAVA_LONG, 16, license.address());
            MemorySegment.copy("jktstr_ret0".getBytes(), 0, attr, ValueLayout.JAVA_BYTE, 48, 11);
            return (int) BpfSyscall.bpf(5, attr, "BPF_PROG_LOAD");
        } catch (BpfException e) {
            assumeTrue(false, "BPF_PROG_LOAD not permitted (" + e.errnoName() + "): needs CAP_BPF/CAP_SYS_ADMIN");
            throw e;
        }
    }

    @Test
    void btfObjectsAreListed() {
        try {
            List<Integer> ids = Bpf.btfIds();
            assertThat(ids).isNotNull();
        } catch (BpfException e) {
            assumeTrue(false, "BPF_BTF_GET_NEXT_ID not permitted (" + e.errnoName() + ")");
        }
    }
}
