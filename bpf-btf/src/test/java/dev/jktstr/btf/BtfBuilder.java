package dev.jktstr.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Builds raw BTF blobs for tests, type by type, in the kernel's encoding. */
final class BtfBuilder {
    private final ByteArrayOutputStream types = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new HashMap<>();
    private final int strBase;
    private int nextId;
    private int hdrLen = 24;
    private int version = 1;

    BtfBuilder() {
        this(1, 0);
    }

    /** Split BTF whose ids start at {@code firstId} and whose string offsets start at {@code strBase}. */
    BtfBuilder(int firstId, int strBase) {
        this.nextId = firstId;
        this.strBase = strBase;
        if (strBase == 0) {
            strings.write(0);
            stringOffsets.put("", 0);
        }
    }

    BtfBuilder headerLength(int len) {
        hdrLen = len;
        return this;
    }

    BtfBuilder version(int v) {
        version = v;
        return this;
    }

    int str(String s) {
        if (s.isEmpty() && strBase == 0) {
            return 0;
        }
        return stringOffsets.computeIfAbsent(s, k -> {
            int off = strBase + strings.size();
            strings.writeBytes(k.getBytes(StandardCharsets.UTF_8));
            strings.write(0);
            return off;
        });
    }

    private void u32(int v) {
        types.write(v);
        types.write(v >>> 8);
        types.write(v >>> 16);
        types.write(v >>> 24);
    }

    private int head(String name, int kind, boolean kflag, int vlen, int sizeOrType) {
        u32(str(name));
        u32((kflag ? 0x80000000 : 0) | (kind << 24) | vlen);
        u32(sizeOrType);
        return nextId++;
    }

    int integer(String name, int size, int encoding, int bits) {
        int id = head(name, 1, false, 0, size);
        u32((encoding << 24) | bits);
        return id;
    }

    int ptr(int type) {
        return head("", 2, false, 0, type);
    }

    int array(int elem, int index, int n) {
        int id = head("", 3, false, 0, 0);
        u32(elem);
        u32(index);
        u32(n);
        return id;
    }

    /** members: {name, type, bitOffset, bitfieldSize} as Object[]. */
    int struct(String name, int size, boolean union, Object[]... members) {
        boolean kflag = false;
        for (Object[] m : members) {
            kflag |= m.length > 3 && (Integer) m[3] != 0;
        }
        int id = head(name, union ? 5 : 4, kflag, members.length, size);
        for (Object[] m : members) {
            u32(str((String) m[0]));
            u32((Integer) m[1]);
            int off = (Integer) m[2];
            int bits = m.length > 3 ? (Integer) m[3] : 0;
            u32(kflag ? (bits << 24) | off : off);
        }
        return id;
    }

    int enumeration(String name, int size, boolean signed, Object[]... values) {
        int id = head(name, 6, signed, values.length, size);
        for (Object[] v : values) {
            u32(str((String) v[0]));
            u32(((Number) v[1]).intValue());
        }
        return id;
    }

    int enum64(String name, int size, boolean signed, Object[]... values) {
        int id = head(name, 19, signed, values.length, size);
        for (Object[] v : values) {
            long val = ((Number) v[1]).longValue();
            u32(str((String) v[0]));
            u32((int) val);
            u32((int) (val >>> 32));
        }
        return id;
    }

    int fwd(String name, boolean union) {
        return head(name, 7, union, 0, 0);
    }

    int typedef(String name, int type) {
        return head(name, 8, false, 0, type);
    }

    int volatileOf(int type) {
        return head("", 9, false, 0, type);
    }

    int constOf(int type) {
        return head("", 10, false, 0, type);
    }

    int restrictOf(int type) {
        return head("", 11, false, 0, type);
    }

    int func(String name, int proto, int linkage) {
        return head(name, 12, false, linkage, proto);
    }

    /** params: {name, type}. */
    int funcProto(int ret, Object[]... params) {
        int id = head("", 13, false, params.length, ret);
        for (Object[] p : params) {
            u32(str((String) p[0]));
            u32((Integer) p[1]);
        }
        return id;
    }

    int variable(String name, int type, int linkage) {
        int id = head(name, 14, false, 0, type);
        u32(linkage);
        return id;
    }

    /** vars: {type, offset, size}. */
    int datasec(String name, int size, int[]... vars) {
        int id = head(name, 15, false, vars.length, size);
        for (int[] v : vars) {
            u32(v[0]);
            u32(v[1]);
            u32(v[2]);
        }
        return id;
    }

    int floating(String name, int size) {
        return head(name, 16, false, 0, size);
    }

    int declTag(String name, int type, int componentIdx) {
        int id = head(name, 17, false, 0, type);
        u32(componentIdx);
        return id;
    }

    int typeTag(String name, int type) {
        return head(name, 18, false, 0, type);
    }

    /** A raw record with any kind number (for testing rejection). */
    int rawKind(int kind) {
        return head("", kind, false, 0, 0);
    }

    byte[] build() {
        byte[] t = types.toByteArray();
        byte[] s = strings.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(hdrLen + t.length + s.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xeb9f).put((byte) version).put((byte) 0).putInt(hdrLen);
        b.putInt(0).putInt(t.length).putInt(t.length).putInt(s.length);
        b.position(hdrLen);
        b.put(t).put(s);
        return b.array();
    }

    int stringsSize() {
        return strings.size();
    }

    /**
     * A blob with every kind 1 to 19: integers and floats, pointers, arrays, a struct with a bitfield
     * and an anonymous union, unions, signed and unsigned enums and enum64s, forward declarations, all
     * modifiers, functions with prototypes, a variable in a data section, declaration and type tags.
     */
    static BtfBuilder allKinds() {
        BtfBuilder b = new BtfBuilder();
        int intT = b.integer("int", 4, 1, 32);                                  // 1
        int uint = b.integer("unsigned int", 4, 0, 32);                         // 2
        int chr = b.integer("char", 1, 2, 8);                                   // 3
        int ulong = b.integer("long unsigned int", 8, 0, 64);                   // 4
        int boolT = b.integer("_Bool", 1, 4, 8);                                // 5
        int u64 = b.typedef("u64", ulong);                                      // 6
        int comm = b.array(chr, intT, 16);                                      // 7
        int fwdTask = b.fwd("task_struct", false);                              // 8
        int pTask = b.ptr(fwdTask);                                             // 9
        int state = b.enumeration("state", 4, false, new Object[] {"S_IDLE", 0}, new Object[] {"S_RUN", 1},
                new Object[] {"S_BIG", 0xfffffff0});                            // 10
        int sgn = b.enumeration("sgn", 4, true, new Object[] {"NEG", -4}, new Object[] {"POS", 7}); // 11
        int e64 = b.enum64("wide", 8, false, new Object[] {"W_MAX", -1L}, new Object[] {"W_ONE", 1L}); // 12
        int anonU = b.struct("", 8, true, new Object[] {"as_u64", u64, 0}, new Object[] {"as_int", intT, 0}); // 13
        int inner = b.struct("inner", 8, false, new Object[] {"nr", uint, 0}, new Object[] {"weight", intT, 32}); // 14
        int dbl = b.floating("double", 8);                                      // 15
        int cInt = b.constOf(intT);                                             // 16
        int vInt = b.volatileOf(cInt);                                          // 17
        int pChar = b.ptr(chr);                                                 // 18
        int rChar = b.restrictOf(pChar);                                        // 19
        int tagged = b.typeTag("user", intT);                                   // 20
        int pTagged = b.ptr(tagged);                                            // 21
        int proto = b.funcProto(intT, new Object[] {"a", intT}, new Object[] {"s", rChar}); // 22
        int pProto = b.ptr(proto);                                              // 23
        int inners = b.array(inner, intT, 3);                                   // 24
        int item = b.struct("item", 112, false,
                new Object[] {"id", intT, 0},
                new Object[] {"flag", uint, 32, 1},
                new Object[] {"mode", uint, 33, 3},
                new Object[] {"st", state, 64},
                new Object[] {"", anonU, 128},
                new Object[] {"name", comm, 192},
                new Object[] {"owner", pTask, 320},
                new Object[] {"in", inner, 384},
                new Object[] {"ins", inners, 448},
                new Object[] {"ratio", dbl, 640},
                new Object[] {"cb", pProto, 704},
                new Object[] {"cv", vInt, 768},
                new Object[] {"up", pTagged, 832});                             // 25
        int f = b.func("do_item", proto, 1);                                    // 26
        int var = b.variable("global_item", item, 1);                           // 27
        b.datasec(".data", 112, new int[] {var, 0, 112});                       // 28
        b.declTag("kfunc", f, -1);                                              // 29
        b.declTag("noderef", item, 6);                                          // 30
        b.typedef("item_t", item);                                              // 31
        b.struct("pair", 16, false, new Object[] {"a", sgn, 0}, new Object[] {"b", e64, 64}); // 32
        b.integer("__int128", 16, 1, 128);                                      // 33
        b.struct("packed_s", 5, false, new Object[] {"c", chr, 0}, new Object[] {"x", intT, 8}); // 34
        b.fwd("maybe", true);                                                   // 35
        b.typedef("bool", boolT);                                               // 36
        return b;
    }
}
