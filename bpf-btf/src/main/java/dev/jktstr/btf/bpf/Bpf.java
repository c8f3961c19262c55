package dev.jktstr.btf.bpf;

import static dev.jktstr.btf.bpf.BpfSyscall.attr;
import static dev.jktstr.btf.bpf.BpfSyscall.bpf;

import dev.jktstr.bindings.bpf.BpfAttr;
import dev.jktstr.bindings.bpf.BpfH;
import dev.jktstr.bindings.libc.LibcH;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * bpf(2) on the live host: enumerate map, program and BTF object ids, open them by id, read their
 * info. Needs CAP_SYS_ADMIN (or CAP_BPF with CAP_PERFMON) for most commands; failures carry the errno
 * name in {@link BpfException}.
 */
public final class Bpf {
    private Bpf() {}

    private static List<Integer> ids(int cmd, String what) {
        List<Integer> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            int id = 0;
            while (true) {
                attr.fill((byte) 0);
                BpfAttr.start_id(attr, id);
                try {
                    bpf(cmd, attr, what + "(start_id=" + id + ")");
                } catch (BpfException e) {
                    if (e.errno() == LibcH.ENOENT) { // no more ids
                        return out;
                    }
                    throw e;
                }
                id = BpfAttr.next_id(attr);
                out.add(id);
            }
        }
    }

    /** Ids of all BPF maps (BPF_MAP_GET_NEXT_ID). */
    public static List<Integer> mapIds() {
        return ids(BpfH.BPF_MAP_GET_NEXT_ID, "BPF_MAP_GET_NEXT_ID");
    }

    /** Ids of all BPF programs (BPF_PROG_GET_NEXT_ID). */
    public static List<Integer> progIds() {
        return ids(BpfH.BPF_PROG_GET_NEXT_ID, "BPF_PROG_GET_NEXT_ID");
    }

    /** Ids of all BTF objects: vmlinux, modules, programs (BPF_BTF_GET_NEXT_ID). */
    public static List<Integer> btfIds() {
        return ids(BpfH.BPF_BTF_GET_NEXT_ID, "BPF_BTF_GET_NEXT_ID");
    }

    private static int fdById(int cmd, int id, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            BpfAttr.start_id(attr, id); // shares its offset with map_id, prog_id and btf_id
            return (int) bpf(cmd, attr, what + "(" + id + ")");
        }
    }

    /** Opens the map with this id (BPF_MAP_GET_FD_BY_ID). */
    public static BpfMap openMap(int id) {
        return new BpfMap(fdById(BpfH.BPF_MAP_GET_FD_BY_ID, id, "BPF_MAP_GET_FD_BY_ID"));
    }

    /** Opens the program with this id (BPF_PROG_GET_FD_BY_ID). */
    public static BpfProg openProg(int id) {
        return new BpfProg(fdById(BpfH.BPF_PROG_GET_FD_BY_ID, id, "BPF_PROG_GET_FD_BY_ID"));
    }

    /** Creates a map (BPF_MAP_CREATE), e.g. {@code BPF_MAP_TYPE_HASH} = 1, {@code ARRAY} = 2. */
    public static BpfMap createMap(int type, int keySize, int valueSize, int maxEntries, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            BpfAttr.map_type(attr, type);
            BpfAttr.key_size(attr, keySize);
            BpfAttr.value_size(attr, valueSize);
            BpfAttr.max_entries(attr, maxEntries);
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(n, 0, BpfAttr.map_name(attr), ValueLayout.JAVA_BYTE, 0,
                    (int) Math.min(BpfH.BPF_OBJ_NAME_LEN - 1, n.length));
            return new BpfMap((int) bpf(BpfH.BPF_MAP_CREATE, attr, "BPF_MAP_CREATE(" + name + ")"));
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD into a zeroed buffer of {@code len} bytes. */
    static MemorySegment info(int fd, java.lang.foreign.MemoryLayout layout, Arena arena, String what) {
        MemorySegment info = arena.allocate(layout);
        MemorySegment attr = attr(arena);
        MemorySegment request = BpfAttr.info(attr);
        BpfAttr.Info.bpf_fd(request, fd);
        BpfAttr.Info.info_len(request, (int) layout.byteSize());
        BpfAttr.Info.info(request, info.address());
        bpf(BpfH.BPF_OBJ_GET_INFO_BY_FD, attr, what);
        return info;
    }

    /** A NUL-terminated string in a fixed-size char array. */
    static String cString(MemorySegment chars) {
        int n = 0;
        while (n < chars.byteSize() && chars.get(ValueLayout.JAVA_BYTE, n) != 0) {
            n++;
        }
        return new String(chars.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** An open BPF map file descriptor. */
    public static final class BpfMap implements AutoCloseable {
        private final int fd;
        private boolean closed;

        BpfMap(int fd) {
            this.fd = fd;
        }

        public int fd() {
            return fd;
        }

        public BpfMapInfo info() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment i = Bpf.info(fd, dev.jktstr.bindings.bpf.BpfMapInfo.LAYOUT, arena, "BPF_OBJ_GET_INFO_BY_FD(map fd " + fd + ")");
                return new BpfMapInfo(dev.jktstr.bindings.bpf.BpfMapInfo.type(i), dev.jktstr.bindings.bpf.BpfMapInfo.id(i), dev.jktstr.bindings.bpf.BpfMapInfo.key_size(i), dev.jktstr.bindings.bpf.BpfMapInfo.value_size(i),
                        dev.jktstr.bindings.bpf.BpfMapInfo.max_entries(i), dev.jktstr.bindings.bpf.BpfMapInfo.map_flags(i), cString(dev.jktstr.bindings.bpf.BpfMapInfo.name(i)), dev.jktstr.bindings.bpf.BpfMapInfo.btf_id(i),
                        dev.jktstr.bindings.bpf.BpfMapInfo.btf_key_type_id(i), dev.jktstr.bindings.bpf.BpfMapInfo.btf_value_type_id(i),
                        dev.jktstr.bindings.bpf.BpfMapInfo.btf_vmlinux_value_type_id(i));
            }
        }

        private long elem(int cmd, byte[] key, byte[] out, long flags, String what) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = attr(arena);
                MemorySegment k = key == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_BYTE, key);
                MemorySegment v = arena.allocate(Math.max(1, out.length), 8);
                MemorySegment.copy(out, 0, v, ValueLayout.JAVA_BYTE, 0, out.length);
                BpfAttr.map_fd(attr, fd);
                BpfAttr.key(attr, k.address());
                BpfAttr.value(attr, v.address()); // shares its offset with next_key
                BpfAttr.flags(attr, flags);
                long r = bpf(cmd, attr, what);
                MemorySegment.copy(v, ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
                return r;
            }
        }

        /** The value stored under {@code key} (BPF_MAP_LOOKUP_ELEM), or null if there is none. */
        public byte[] lookup(byte[] key) {
            byte[] value = new byte[info().valueSize()];
            try {
                elem(BpfH.BPF_MAP_LOOKUP_ELEM, key, value, 0, "BPF_MAP_LOOKUP_ELEM(map fd " + fd + ")");
                return value;
            } catch (BpfException e) {
                if (e.errno() == LibcH.ENOENT) {
                    return null;
                }
                throw e;
            }
        }

        /** The key after {@code key} (null: the first key), or null after the last (BPF_MAP_GET_NEXT_KEY). */
        public byte[] nextKey(byte[] key) {
            byte[] next = new byte[info().keySize()];
            try {
                elem(BpfH.BPF_MAP_GET_NEXT_KEY, key, next, 0, "BPF_MAP_GET_NEXT_KEY(map fd " + fd + ")");
                return next;
            } catch (BpfException e) {
                if (e.errno() == LibcH.ENOENT) {
                    return null;
                }
                throw e;
            }
        }

        /** Stores {@code value} under {@code key} (BPF_MAP_UPDATE_ELEM, BPF_ANY). */
        public void update(byte[] key, byte[] value) {
            elem(BpfH.BPF_MAP_UPDATE_ELEM, key, value.clone(), 0, "BPF_MAP_UPDATE_ELEM(map fd " + fd + ")");
        }

        /** All keys, walking BPF_MAP_GET_NEXT_KEY (at most max_entries of them). */
        public List<byte[]> keys() {
            List<byte[]> out = new ArrayList<>();
            int max = info().maxEntries();
            for (byte[] k = nextKey(null); k != null && out.size() < max; k = nextKey(k)) {
                out.add(k);
            }
            return out;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                BpfSyscall.close(fd);
            }
        }
    }

    /** An open BPF program file descriptor. */
    public static final class BpfProg implements AutoCloseable {
        private final int fd;
        private boolean closed;

        BpfProg(int fd) {
            this.fd = fd;
        }

        public int fd() {
            return fd;
        }

        public BpfProgInfo info() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment i = Bpf.info(fd, dev.jktstr.bindings.bpf.BpfProgInfo.LAYOUT, arena, "BPF_OBJ_GET_INFO_BY_FD(prog fd " + fd + ")");
                return new BpfProgInfo(dev.jktstr.bindings.bpf.BpfProgInfo.type(i), dev.jktstr.bindings.bpf.BpfProgInfo.id(i),
                        HexFormat.of().formatHex(dev.jktstr.bindings.bpf.BpfProgInfo.tag(i).toArray(ValueLayout.JAVA_BYTE)),
                        cString(dev.jktstr.bindings.bpf.BpfProgInfo.name(i)), dev.jktstr.bindings.bpf.BpfProgInfo.btf_id(i), dev.jktstr.bindings.bpf.BpfProgInfo.load_time(i),
                        dev.jktstr.bindings.bpf.BpfProgInfo.created_by_uid(i), dev.jktstr.bindings.bpf.BpfProgInfo.verified_insns(i));
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                BpfSyscall.close(fd);
            }
        }
    }
}
