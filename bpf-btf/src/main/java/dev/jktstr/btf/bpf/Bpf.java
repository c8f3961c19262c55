package dev.jktstr.btf.bpf;

import static dev.jktstr.btf.bpf.BpfSyscall.*;

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
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            int id = 0;
            while (true) {
                attr.fill((byte) 0);
                attr.set(ValueLayout.JAVA_INT, 0, id);
                try {
                    bpf(cmd, attr, what + "(start_id=" + id + ")");
                } catch (BpfException e) {
                    if (e.errno() == 2) { // ENOENT: no more ids
                        return out;
                    }
                    throw e;
                }
                id = attr.get(ValueLayout.JAVA_INT, 4);
                out.add(id);
            }
        }
    }

    /** Ids of all BPF maps (BPF_MAP_GET_NEXT_ID). */
    public static List<Integer> mapIds() {
        return ids(MAP_GET_NEXT_ID, "BPF_MAP_GET_NEXT_ID");
    }

    /** Ids of all BPF programs (BPF_PROG_GET_NEXT_ID). */
    public static List<Integer> progIds() {
        return ids(PROG_GET_NEXT_ID, "BPF_PROG_GET_NEXT_ID");
    }

    /** Ids of all BTF objects: vmlinux, modules, programs (BPF_BTF_GET_NEXT_ID). */
    public static List<Integer> btfIds() {
        return ids(BTF_GET_NEXT_ID, "BPF_BTF_GET_NEXT_ID");
    }

    private static int fdById(int cmd, int id, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, id);
            return (int) bpf(cmd, attr, what + "(" + id + ")");
        }
    }

    /** Opens the map with this id (BPF_MAP_GET_FD_BY_ID). */
    public static BpfMap openMap(int id) {
        return new BpfMap(fdById(MAP_GET_FD_BY_ID, id, "BPF_MAP_GET_FD_BY_ID"));
    }

    /** Opens the program with this id (BPF_PROG_GET_FD_BY_ID). */
    public static BpfProg openProg(int id) {
        return new BpfProg(fdById(PROG_GET_FD_BY_ID, id, "BPF_PROG_GET_FD_BY_ID"));
    }

    /** Creates a map (BPF_MAP_CREATE), e.g. {@code BPF_MAP_TYPE_HASH} = 1, {@code ARRAY} = 2. */
    public static BpfMap createMap(int type, int keySize, int valueSize, int maxEntries, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, type);
            attr.set(ValueLayout.JAVA_INT, 4, keySize);
            attr.set(ValueLayout.JAVA_INT, 8, valueSize);
            attr.set(ValueLayout.JAVA_INT, 12, maxEntries);
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(n, 0, attr, ValueLayout.JAVA_BYTE, 28, Math.min(15, n.length));
            return new BpfMap((int) bpf(MAP_CREATE, attr, "BPF_MAP_CREATE(" + name + ")"));
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD into a zeroed buffer of {@code len} bytes. */
    static MemorySegment info(int fd, int len, Arena arena, String what) {
        MemorySegment info = arena.allocate(len, 8);
        MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
        attr.set(ValueLayout.JAVA_INT, 0, fd);
        attr.set(ValueLayout.JAVA_INT, 4, len);
        attr.set(ValueLayout.JAVA_LONG, 8, info.address());
        bpf(OBJ_GET_INFO_BY_FD, attr, what);
        return info;
    }

    static String cString(MemorySegment s, long off, int max) {
        int n = 0;
        while (n < max && s.get(ValueLayout.JAVA_BYTE, off + n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off, b, 0, n);
        return new String(b, StandardCharsets.UTF_8);
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
                MemorySegment i = Bpf.info(fd, 88, arena, "BPF_OBJ_GET_INFO_BY_FD(map fd " + fd + ")");
                return new BpfMapInfo(i.get(ValueLayout.JAVA_INT, 0), i.get(ValueLayout.JAVA_INT, 4),
                        i.get(ValueLayout.JAVA_INT, 8), i.get(ValueLayout.JAVA_INT, 12), i.get(ValueLayout.JAVA_INT, 16),
                        i.get(ValueLayout.JAVA_INT, 20), cString(i, 24, 16), i.get(ValueLayout.JAVA_INT, 64),
                        i.get(ValueLayout.JAVA_INT, 68), i.get(ValueLayout.JAVA_INT, 72), i.get(ValueLayout.JAVA_INT, 44));
            }
        }

        private long elem(int cmd, byte[] key, byte[] out, long flags, String what) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
                MemorySegment k = key == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_BYTE, key);
                MemorySegment v = arena.allocate(Math.max(1, out.length), 8);
                MemorySegment.copy(out, 0, v, ValueLayout.JAVA_BYTE, 0, out.length);
                attr.set(ValueLayout.JAVA_INT, 0, fd);
                attr.set(ValueLayout.JAVA_LONG, 8, k.address());
                attr.set(ValueLayout.JAVA_LONG, 16, v.address());
                attr.set(ValueLayout.JAVA_LONG, 24, flags);
                long r = bpf(cmd, attr, what);
                MemorySegment.copy(v, ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
                return r;
            }
        }

        /** The value stored under {@code key} (BPF_MAP_LOOKUP_ELEM), or null if there is none. */
        public byte[] lookup(byte[] key) {
            byte[] value = new byte[info().valueSize()];
            try {
                elem(MAP_LOOKUP_ELEM, key, value, 0, "BPF_MAP_LOOKUP_ELEM(map fd " + fd + ")");
                return value;
            } catch (BpfException e) {
                if (e.errno() == 2) {
                    return null;
                }
                throw e;
            }
        }

        /** The key after {@code key} (null: the first key), or null after the last (BPF_MAP_GET_NEXT_KEY). */
        public byte[] nextKey(byte[] key) {
            byte[] next = new byte[info().keySize()];
            try {
                elem(MAP_GET_NEXT_KEY, key, next, 0, "BPF_MAP_GET_NEXT_KEY(map fd " + fd + ")");
                return next;
            } catch (BpfException e) {
                if (e.errno() == 2) {
                    return null;
                }
                throw e;
            }
        }

        /** Stores {@code value} under {@code key} (BPF_MAP_UPDATE_ELEM, BPF_ANY). */
        public void update(byte[] key, byte[] value) {
            elem(MAP_UPDATE_ELEM, key, value.clone(), 0, "BPF_MAP_UPDATE_ELEM(map fd " + fd + ")");
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
                MemorySegment i = Bpf.info(fd, 232, arena, "BPF_OBJ_GET_INFO_BY_FD(prog fd " + fd + ")");
                byte[] tag = i.asSlice(8, 8).toArray(ValueLayout.JAVA_BYTE);
                return new BpfProgInfo(i.get(ValueLayout.JAVA_INT, 0), i.get(ValueLayout.JAVA_INT, 4),
                        HexFormat.of().formatHex(tag), cString(i, 64, 16), i.get(ValueLayout.JAVA_INT, 128),
                        i.get(ValueLayout.JAVA_LONG, 40), i.get(ValueLayout.JAVA_INT, 48),
                        i.get(ValueLayout.JAVA_INT, 216));
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
