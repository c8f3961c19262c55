package dev.jktstr.btf.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.bindings.bpf.BpfAttr;
import dev.jktstr.bindings.bpf.BpfBtfInfo;
import dev.jktstr.bindings.bpf.BpfH;
import dev.jktstr.bindings.btf.BtfH;
import dev.jktstr.btf.bpf.Bpf.BpfMap;
import dev.jktstr.btf.bpf.Bpf.BpfProg;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
    void loadedProgramIsEnumeratedAndOpenedById() {
        try {
            Bpf.progIds();
        } catch (BpfException e) {
            assumeTrue(false, "BPF_PROG_GET_NEXT_ID not permitted (" + e.errnoName() + "): needs CAP_SYS_ADMIN");
            return;
        }
        // identified by the fd its load returned, not by "the newest id": other loaders on the host race with us
        try (BpfProg own = new BpfProg(loadTrivialProgram())) {
            BpfProgInfo loaded = own.info();
            assertThat(loaded.name()).isEqualTo("jktstr_ret0");
            assertThat(loaded.type()).isEqualTo(BpfH.BPF_PROG_TYPE_SOCKET_FILTER);
            assertThat(loaded.tag()).hasSize(2 * BpfH.BPF_TAG_SIZE).isNotEqualTo("0".repeat(2 * BpfH.BPF_TAG_SIZE));
            assertThat(Bpf.progIds()).contains(loaded.id());
            try (BpfProg byId = Bpf.openProg(loaded.id())) {
                BpfProgInfo info = byId.info();
                assertThat(info.id()).isEqualTo(loaded.id());
                assertThat(info.name()).isEqualTo("jktstr_ret0");
                assertThat(info.type()).isEqualTo(BpfH.BPF_PROG_TYPE_SOCKET_FILTER);
                assertThat(info.tag()).isEqualTo(loaded.tag());
            }
        }
    }

    /** BPF_PROG_LOAD of a socket filter "r0 = 0; exit", named jktstr_ret0: its fd; skips if not permitted. */
    private static int loadTrivialProgram() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(16, 8);
            insns.set(ValueLayout.JAVA_LONG, 0, 0xb7L);  // BPF_ALU64 | BPF_MOV | BPF_K, r0 = 0
            insns.set(ValueLayout.JAVA_LONG, 8, 0x95L);  // BPF_JMP | BPF_EXIT
            MemorySegment attr = BpfSyscall.attr(arena);
            BpfAttr.prog_type(attr, BpfH.BPF_PROG_TYPE_SOCKET_FILTER);
            BpfAttr.insn_cnt(attr, 2);
            BpfAttr.insns(attr, insns.address());
            BpfAttr.license(attr, arena.allocateFrom("GPL").address());
            MemorySegment.copy(arena.allocateFrom("jktstr_ret0"), 0, BpfAttr.prog_name(attr), 0, 12);
            return (int) BpfSyscall.bpf(BpfH.BPF_PROG_LOAD, attr, "BPF_PROG_LOAD");
        } catch (BpfException e) {
            assumeTrue(false, "BPF_PROG_LOAD not permitted (" + e.errnoName() + "): needs CAP_BPF/CAP_SYS_ADMIN");
            throw e;
        }
    }

    @Test
    void loadedBtfIsEnumerated() {
        try {
            Bpf.btfIds();
        } catch (BpfException e) {
            assumeTrue(false, "BPF_BTF_GET_NEXT_ID not permitted (" + e.errnoName() + ")");
            return;
        }
        byte[] blob = intOnlyBtf();
        int fd = loadBtf(blob);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = Bpf.info(fd, BpfBtfInfo.LAYOUT, arena, "BPF_OBJ_GET_INFO_BY_FD(btf fd " + fd + ")");
            int id = BpfBtfInfo.id(info);
            assertThat(id).isPositive();
            assertThat(BpfBtfInfo.btf_size(info)).isEqualTo(blob.length);
            assertThat(Bpf.btfIds()).contains(id);
        } finally {
            BpfSyscall.close(fd);
        }
    }

    /** Raw BTF with one type, {@code int}: header, one INT record, strings "\0int\0". */
    private static byte[] intOnlyBtf() {
        byte[] strings = "\0int\0".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(24 + 16 + strings.length).order(ByteOrder.nativeOrder());
        b.putShort((short) BtfH.BTF_MAGIC).put((byte) BtfH.BTF_VERSION).put((byte) 0).putInt(24);
        b.putInt(0).putInt(16).putInt(16).putInt(strings.length);           // type_off, type_len, str_off, str_len
        b.putInt(1).putInt(BtfH.BTF_KIND_INT << 24).putInt(4);              // name "int", kind INT, size 4
        b.putInt((BtfH.BTF_INT_SIGNED << 24) | 32);                         // signed, 32 bits at offset 0
        b.put(strings);
        return b.array();
    }

    /** BPF_BTF_LOAD: the new BTF object's fd; skips if not permitted. */
    private static int loadBtf(byte[] blob) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = BpfSyscall.attr(arena);
            BpfAttr.btf(attr, arena.allocateFrom(ValueLayout.JAVA_BYTE, blob).address());
            BpfAttr.btf_size(attr, blob.length);
            return (int) BpfSyscall.bpf(BpfH.BPF_BTF_LOAD, attr, "BPF_BTF_LOAD");
        } catch (BpfException e) {
            assumeTrue(false, "BPF_BTF_LOAD not permitted (" + e.errnoName() + "): needs CAP_BPF/CAP_SYS_ADMIN");
            throw e;
        }
    }
}
