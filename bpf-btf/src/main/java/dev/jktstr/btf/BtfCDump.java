package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * BTF to compilable C, following libbpf's btf_dump.c as bpftool 7.1 drives it: a topological ordering
 * of type definitions with forward declarations where a pointer allows one, duplicate names suffixed
 * {@code ___N}, explicit padding to reproduce the exact layout, and {@code __attribute__((packed))}
 * where the layout shows it. Unlike libbpf, every recursion and reference chain here is bounded, so
 * malformed BTF ends in {@link BtfFormatException} instead of a hang or a stack overflow.
 */
final class BtfCDump {
    private static final byte NOT = 0, ING = 1, ED = 2;
    /** vmlinux of 6.12 nests 15 deep; anything near this is a reference loop in malformed BTF. */
    private static final int MAX_DEPTH = 256;
    private static final String TABS = "\t".repeat(13);

    private final Btf btf;
    private final Appendable out;
    private final StringBuilder buf;
    /** Full dump: name de-duplication and definition ordering; off for a single declaration. */
    private final boolean full;
    private final int ptrSize;

    private byte[] orderState;
    private byte[] emitState;
    private boolean[] fwdEmitted;
    private boolean[] nameResolved;
    private boolean[] referenced;
    private String[] cachedNames;
    private final Map<String, Integer> typeNames = new HashMap<>();
    private final Map<String, Integer> identNames = new HashMap<>();

    private int[] emitQueue = new int[16];
    private int emitQueueCnt;
    private int[] declStack = new int[16];
    private int declStackCnt;
    private boolean stripMods;
    private boolean skipAnonDefs;
    private int depth;
    /** Emitted members, enumerators and parameters; bounds output on DAGs of inlined anonymous types. */
    private long work;
    private final long workBudget;

    BtfCDump(Btf btf, Appendable out) {
        this(btf, out, true);
    }

    private BtfCDump(Btf btf, Appendable out, boolean full) {
        this.btf = btf;
        this.out = out;
        this.full = full;
        this.ptrSize = btf.pointerSize();
        this.buf = new StringBuilder(full ? 1 << 16 : 64);
        this.workBudget = (1 << 20) + 16 * btf.rawData().byteSize();
    }

    /** The C spelling of {@code id} declaring {@code fname} (empty: a cast-style type name). */
    static String declaration(Btf btf, int id, String fname) {
        StringBuilder sb = new StringBuilder();
        BtfCDump d = new BtfCDump(btf, sb, false);
        d.skipAnonDefs = true;
        d.emitTypeDecl(id, fname, 0);
        d.flushQuietly();
        return sb.toString();
    }

    // ------------------------------------------------------------------ driver (bpftool's dump_btf_c)

    void dumpAll() throws IOException {
        int n = btf.typeCount();
        orderState = new byte[n];
        emitState = new byte[n];
        fwdEmitted = new boolean[n];
        nameResolved = new boolean[n];
        referenced = new boolean[n];
        cachedNames = new String[n];
        orderState[0] = ED;
        emitState[0] = ED;
        for (int id = 1; id < n; id++) {
            markReferenced(id);
        }
        p("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n");
        p("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
        p("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n");
        p("#endif\n\n");
        for (int id = 1; id < n; id++) {
            dumpType(id);
        }
        p("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n");
        p("#endif /* __VMLINUX_H__ */\n");
        flush();
    }

    private void dumpType(int id) throws IOException {
        emitQueueCnt = 0;
        depth = 0;
        orderType(id, false);
        for (int i = 0; i < emitQueueCnt; i++) {
            depth = 0;
            emitType(emitQueue[i], 0);
        }
        if (buf.length() > (1 << 15)) {
            flush();
        }
    }

    private void flush() throws IOException {
        out.append(buf);
        buf.setLength(0);
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (IOException e) {
            throw new AssertionError(e); // a StringBuilder does not throw
        }
    }

    private void p(String s) {
        buf.append(s);
    }

    private static String pfx(int lvl) {
        return lvl >= TABS.length() ? TABS : TABS.substring(0, lvl);
    }

    private void work(int units) {
        work += units;
        if (work > workBudget) {
            throw new BtfFormatException("C rendering exceeds " + workBudget + " declarations (anonymous types nest too often)");
        }
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw new BtfFormatException("BTF type graph nests deeper than " + MAX_DEPTH + " (reference loop?)");
        }
    }

    // ------------------------------------------------------------------ ordering

    private void mark(int id) {
        referenced[btf.ref(id)] = true;
    }

    private void markReferenced(int id) {
        int vlen = btf.vlen(id);
        switch (btf.kindOf(id)) {
            case BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_PTR, BTF_KIND_TYPEDEF, BTF_KIND_FUNC,
                 BTF_KIND_VAR, BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG ->
                    mark(btf.sizeOrType(id));
            case BTF_KIND_ARRAY -> {
                mark(btf.arrayIndexType(id));
                mark(btf.arrayType(id));
            }
            case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                for (int i = 0; i < vlen; i++) {
                    mark(btf.memberType(id, i));
                }
            }
            case BTF_KIND_FUNC_PROTO -> {
                for (int i = 0; i < vlen; i++) {
                    mark(btf.paramType(id, i));
                }
            }
            case BTF_KIND_DATASEC -> {
                for (int i = 0; i < vlen; i++) {
                    mark(btf.raw(id, 12 + 12 * i));
                }
            }
            default -> { }
        }
    }

    private void enqueue(int id) {
        if (emitQueueCnt == emitQueue.length) {
            emitQueue = java.util.Arrays.copyOf(emitQueue, emitQueueCnt * 2);
        }
        emitQueue[emitQueueCnt++] = id;
    }

    /** libbpf's btf_dump_order_type(): 1 for a strong link, 0 for a weak one (forward declaration suffices). */
    private int orderType(int id, boolean throughPtr) {
        btf.ref(id);
        if (orderState[id] == ED) {
            return 1;
        }
        int kind = btf.kindOf(id);
        boolean named = btf.nameOff(id) != 0;
        if (orderState[id] == ING) {
            if ((kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) && throughPtr && named) {
                return 0;
            }
            throw new BtfFormatException("unsatisfiable type cycle, id:[" + id + "]");
        }
        enter();
        try {
            switch (kind) {
                case BTF_KIND_INT, BTF_KIND_FLOAT -> {
                    orderState[id] = ED;
                    return 0;
                }
                case BTF_KIND_PTR -> {
                    int r = orderType(btf.sizeOrType(id), true);
                    orderState[id] = ED;
                    return r;
                }
                case BTF_KIND_ARRAY -> {
                    return orderType(btf.arrayType(id), false);
                }
                case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                    if (throughPtr && named) {
                        return 0;
                    }
                    orderState[id] = ING;
                    int vlen = btf.vlen(id);
                    for (int i = 0; i < vlen; i++) {
                        orderType(btf.memberType(id, i), false);
                    }
                    if (named) {
                        enqueue(id);
                    }
                    orderState[id] = ED;
                    return 1;
                }
                case BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FWD -> {
                    if (named || !referenced[id]) {
                        enqueue(id);
                    }
                    orderState[id] = ED;
                    return 1;
                }
                case BTF_KIND_TYPEDEF -> {
                    int isStrong = orderType(btf.sizeOrType(id), throughPtr);
                    if (throughPtr && isStrong == 0) {
                        return 0;
                    }
                    enqueue(id);
                    orderState[id] = ED;
                    return 1;
                }
                case BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG -> {
                    return orderType(btf.sizeOrType(id), throughPtr);
                }
                case BTF_KIND_FUNC_PROTO -> {
                    boolean strong = orderType(btf.sizeOrType(id), throughPtr) > 0;
                    int vlen = btf.vlen(id);
                    for (int i = 0; i < vlen; i++) {
                        if (orderType(btf.paramType(id, i), throughPtr) > 0) {
                            strong = true;
                        }
                    }
                    return strong ? 1 : 0;
                }
                default -> { // FUNC, VAR, DATASEC, DECL_TAG
                    orderState[id] = ED;
                    return 0;
                }
            }
        } finally {
            depth--;
        }
    }

    // ------------------------------------------------------------------ emitting definitions

    private boolean isBlacklisted(int id) {
        return btf.nameOff(id) != 0 && "__builtin_va_list".equals(btf.str(btf.nameOff(id)));
    }

    /** libbpf's btf_dump_emit_type(). */
    private void emitType(int id, int contId) {
        btf.ref(id);
        boolean topLevel = contId == 0;
        if (emitState[id] == ED) {
            return;
        }
        int kind = btf.kindOf(id);
        enter();
        try {
            if (emitState[id] == ING) {
                if (fwdEmitted[id]) {
                    return;
                }
                switch (kind) {
                    case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                        if (id == contId) {
                            return;
                        }
                        if (btf.nameOff(id) == 0) {
                            return; // anonymous struct/union loop
                        }
                        emitStructFwd(id);
                        p(";\n\n");
                        fwdEmitted[id] = true;
                    }
                    case BTF_KIND_TYPEDEF -> {
                        if (!isBlacklisted(id)) {
                            emitTypedefDef(id, 0);
                            p(";\n\n");
                        }
                        fwdEmitted[id] = true;
                    }
                    default -> { }
                }
                return;
            }
            switch (kind) {
                case BTF_KIND_INT -> {
                    emitMissingAliases(id);
                    emitState[id] = ED;
                }
                case BTF_KIND_ENUM, BTF_KIND_ENUM64 -> {
                    if (topLevel) {
                        emitEnumDef(id, 0);
                        p(";\n\n");
                    }
                    emitState[id] = ED;
                }
                case BTF_KIND_PTR, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG ->
                        emitType(btf.sizeOrType(id), contId);
                case BTF_KIND_ARRAY -> emitType(btf.arrayType(id), contId);
                case BTF_KIND_FWD -> {
                    emitFwdDef(id);
                    p(";\n\n");
                    emitState[id] = ED;
                }
                case BTF_KIND_TYPEDEF -> {
                    emitState[id] = ING;
                    emitType(btf.sizeOrType(id), id);
                    if (!fwdEmitted[id] && !isBlacklisted(id)) {
                        emitTypedefDef(id, 0);
                        p(";\n\n");
                    }
                    emitState[id] = ED;
                }
                case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                    emitState[id] = ING;
                    boolean anon = btf.nameOff(id) == 0;
                    if (topLevel || anon) {
                        int vlen = btf.vlen(id);
                        int newCont = anon ? contId : id;
                        for (int i = 0; i < vlen; i++) {
                            emitType(btf.memberType(id, i), newCont);
                        }
                    } else if (!fwdEmitted[id] && id != contId) {
                        emitStructFwd(id);
                        p(";\n\n");
                        fwdEmitted[id] = true;
                    }
                    if (topLevel) {
                        emitStructDef(id, 0);
                        p(";\n\n");
                        emitState[id] = ED;
                    } else {
                        emitState[id] = NOT;
                    }
                }
                case BTF_KIND_FUNC_PROTO -> {
                    emitType(btf.sizeOrType(id), contId);
                    int vlen = btf.vlen(id);
                    for (int i = 0; i < vlen; i++) {
                        emitType(btf.paramType(id, i), contId);
                    }
                }
                default -> { }
            }
        } finally {
            depth--;
        }
    }

    private boolean isStructPacked(int id) {
        int vlen = btf.vlen(id);
        int maxAlign = 1;
        for (int i = 0; i < vlen; i++) {
            int align = btf.alignment(btf.memberType(id, i), 0);
            int bitSz = btf.memberBitfieldSize(id, i);
            if (align != 0 && bitSz == 0 && btf.memberBitOffset(id, i) % (8L * align) != 0) {
                return true;
            }
            maxAlign = Math.max(align, maxAlign);
        }
        return Integer.toUnsignedLong(btf.sizeOrType(id)) % maxAlign != 0;
    }

    private static long roundup(long x, long y) {
        return (x + y - 1) / y * y;
    }

    private void emitBitPadding(long curOff, long nextOff, int nextAlign, boolean inBitfield, int lvl) {
        if (curOff >= nextOff) {
            return;
        }
        String[] names = {"long", "int", "short", "char"};
        int[] bitsOf = {ptrSize * 8, 32, 16, 8};
        long newOff = 0;
        int padBits = 0;
        String padType = null;
        for (int i = 0; i < names.length; i++) {
            padBits = bitsOf[i];
            padType = names[i];
            newOff = roundup(curOff, padBits);
            if (newOff <= nextOff) {
                break;
            }
        }
        if (newOff > curOff && newOff <= nextOff) {
            if (inBitfield
                    || (newOff == nextOff && (nextAlign <= 0 || roundup(curOff, nextAlign * 8L) != newOff))
                    || (newOff != nextOff && nextOff - newOff <= newOff - curOff)) {
                buf.append('\n').append(pfx(lvl)).append(padType).append(": ")
                        .append(inBitfield ? newOff - curOff : 0).append(';');
            }
            curOff = newOff;
        }
        if ((nextOff - curOff) / 8 > (1 << 16)) {
            throw new BtfFormatException("struct padding of " + (nextOff - curOff) + " bits is implausible");
        }
        while (curOff != nextOff) {
            long bits = Math.min(nextOff - curOff, padBits);
            if (bits == padBits) {
                buf.append('\n').append(pfx(lvl)).append(padType).append(": ").append(padBits).append(';');
                curOff += bits;
                continue;
            }
            for (int i = names.length - 1; i >= 0; i--) {
                padType = names[i];
                padBits = bitsOf[i];
                if (padBits < bits) {
                    continue;
                }
                buf.append('\n').append(pfx(lvl)).append(padType).append(": ").append(bits).append(';');
                curOff += bits;
                break;
            }
        }
    }

    private void emitStructFwd(int id) {
        boolean named = btf.nameOff(id) != 0;
        p(btf.kindOf(id) == BTF_KIND_STRUCT ? "struct" : "union");
        if (named) {
            buf.append(' ').append(typeName(id));
        } else if (!full) {
            p(" {...}");
        }
    }

    private void emitStructDef(int id, int lvl) {
        if (lvl > MAX_DEPTH) {
            throw new BtfFormatException("anonymous types nest deeper than " + MAX_DEPTH + " (loop?)");
        }
        boolean isStruct = btf.kindOf(id) == BTF_KIND_STRUCT;
        int vlen = btf.vlen(id);
        int align = btf.alignment(id, 0);
        boolean packed = isStruct && isStructPacked(id);
        boolean prevBitfield = false;
        long off = 0;
        p(isStruct ? "struct" : "union");
        if (btf.nameOff(id) != 0) {
            buf.append(' ').append(typeName(id));
        }
        p(" {");
        work(vlen + 1);
        for (int i = 0; i < vlen; i++) {
            String fname = btf.str(btf.memberNameOff(id, i));
            int mType = btf.memberType(id, i);
            long mSz = btf.memberBitfieldSize(id, i);
            long mOff = btf.memberBitOffset(id, i);
            int mAlign = packed ? 1 : btf.alignment(mType, 0);
            boolean inBitfield = prevBitfield && mSz != 0;
            emitBitPadding(off, mOff, mAlign, inBitfield, lvl + 1);
            buf.append('\n').append(pfx(lvl + 1));
            emitTypeDecl(mType, fname, lvl + 1);
            if (mSz != 0) {
                buf.append(": ").append(mSz);
                off = mOff + mSz;
                prevBitfield = true;
            } else {
                mSz = Math.max(0, btf.resolveSize(mType));
                off = mOff + mSz * 8;
                prevBitfield = false;
            }
            p(";");
        }
        long size = Integer.toUnsignedLong(btf.sizeOrType(id));
        if (isStruct) {
            emitBitPadding(off, size * 8, align, false, lvl + 1);
        }
        if (vlen != 0 || size != 0) {
            buf.append('\n').append(pfx(lvl)).append('}');
        } else {
            p("}");
        }
        if (packed) {
            p(" __attribute__((packed))");
        }
    }

    private static final String[][] MISSING_BASE_TYPES = {
        {"__Poly8_t", "unsigned char"}, {"__Poly16_t", "unsigned short"},
        {"__Poly64_t", "unsigned long long"}, {"__Poly128_t", "unsigned __int128"},
    };

    private void emitMissingAliases(int id) {
        String name = typeName(id);
        for (String[] alias : MISSING_BASE_TYPES) {
            if (alias[0].equals(name)) {
                buf.append("typedef ").append(alias[1]).append(' ').append(name).append(";\n\n");
                break;
            }
        }
    }

    private void emitEnumFwd(int id) {
        buf.append("enum ").append(typeName(id));
    }

    private void emitEnumDef(int id, int lvl) {
        int vlen = btf.vlen(id);
        boolean named = btf.nameOff(id) != 0;
        p("enum");
        if (named) {
            buf.append(' ').append(typeName(id));
        }
        if (vlen == 0) {
            return;
        }
        p(" {");
        work(vlen + 1);
        boolean signed = btf.kflag(id);
        boolean is64 = btf.kindOf(id) == BTF_KIND_ENUM64;
        for (int i = 0; i < vlen; i++) {
            String name = btf.str(btf.enumNameOff(id, i));
            int dup = full ? nameDups(identNames, name) : 1;
            buf.append('\n').append(pfx(lvl + 1)).append(name);
            if (dup > 1) {
                buf.append("___").append(dup);
            }
            long v = btf.enumValue(id, i);
            buf.append(" = ");
            if (is64) {
                buf.append(signed ? Long.toString(v) + "LL" : Long.toUnsignedString(v) + "ULL");
            } else {
                buf.append(signed ? Integer.toString((int) v) : Integer.toUnsignedString((int) v));
            }
            buf.append(',');
        }
        buf.append('\n').append(pfx(lvl)).append('}');
        // libbpf 1.2+ adds __attribute__((mode(byte|word))) for 1- and 8-byte enums here; bpftool 7.1
        // (libbpf 1.1), the oracle this output must equal, does not.
    }

    private void emitFwdDef(int id) {
        buf.append(btf.kflag(id) ? "union " : "struct ").append(typeName(id));
    }

    private void emitTypedefDef(int id, int lvl) {
        String name = identName(id);
        if (btf.sizeOrType(id) == 0 && "__gnuc_va_list".equals(name)) {
            p("typedef __builtin_va_list __gnuc_va_list");
            return;
        }
        p("typedef ");
        emitTypeDecl(btf.sizeOrType(id), name, lvl);
    }

    // ------------------------------------------------------------------ declarations

    private void push(int id) {
        if (declStackCnt == declStack.length) {
            declStack = java.util.Arrays.copyOf(declStack, declStackCnt * 2);
        }
        declStack[declStackCnt++] = id;
    }

    private static boolean isMod(int kind) {
        return kind == BTF_KIND_VOLATILE || kind == BTF_KIND_CONST || kind == BTF_KIND_RESTRICT
                || kind == BTF_KIND_TYPE_TAG;
    }

    /** libbpf's btf_dump_emit_type_decl(): pushes the chain down to a terminal type, then emits it. */
    private void emitTypeDecl(int id, String fname, int lvl) {
        enter();
        int stackStart = declStackCnt;
        try {
            int steps = 0;
            chain:
            for (;;) {
                if (++steps > Btf.MAX_CHAIN * 4) {
                    throw new BtfFormatException("type declaration chain too long at id " + id + " (reference loop?)");
                }
                btf.ref(id);
                int kind = btf.kindOf(id);
                if (!(stripMods && isMod(kind))) {
                    push(id);
                }
                if (id == 0) {
                    break;
                }
                switch (kind) {
                    case BTF_KIND_PTR, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_FUNC_PROTO,
                         BTF_KIND_TYPE_TAG -> id = btf.sizeOrType(id);
                    case BTF_KIND_ARRAY -> id = btf.arrayType(id);
                    default -> {
                        break chain; // INT, ENUM*, FWD, STRUCT, UNION, TYPEDEF, FLOAT end the chain
                    }
                }
            }
            int[] view = {stackStart, declStackCnt - stackStart}; // {base, count}
            emitTypeChain(view, fname, lvl);
        } finally {
            declStackCnt = stackStart;
            depth--;
        }
    }

    private int top(int[] v) {
        return declStack[v[0] + v[1] - 1];
    }

    private void emitMods(int[] v) {
        while (v[1] > 0) {
            int id = top(v);
            switch (btf.kindOf(id)) {
                case BTF_KIND_VOLATILE -> p("volatile ");
                case BTF_KIND_CONST -> p("const ");
                case BTF_KIND_RESTRICT -> p("restrict ");
                default -> {
                    return;
                }
            }
            v[1]--;
        }
    }

    private void dropMods(int[] v) {
        while (v[1] > 0 && isMod(btf.kindOf(top(v)))) {
            v[1]--;
        }
    }

    private void emitName(String name, boolean lastWasPtr) {
        if (!name.isEmpty() && !lastWasPtr) {
            buf.append(' ');
        }
        buf.append(name);
    }

    private void emitTypeChain(int[] v, String fname, int lvl) {
        enter();
        try {
            boolean lastWasPtr = true;
            while (v[1] > 0) {
                int id = declStack[v[0] + --v[1]];
                if (id == 0) {
                    emitMods(v);
                    p("void");
                    lastWasPtr = false;
                    continue;
                }
                int kind = btf.kindOf(id);
                switch (kind) {
                    case BTF_KIND_INT, BTF_KIND_FLOAT -> {
                        emitMods(v);
                        p(btf.str(btf.nameOff(id)));
                    }
                    case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                        emitMods(v);
                        if (btf.nameOff(id) == 0 && !skipAnonDefs) {
                            emitStructDef(id, lvl);
                        } else {
                            emitStructFwd(id);
                        }
                    }
                    case BTF_KIND_ENUM, BTF_KIND_ENUM64 -> {
                        emitMods(v);
                        if (btf.nameOff(id) == 0 && !skipAnonDefs) {
                            emitEnumDef(id, lvl);
                        } else if (btf.nameOff(id) == 0) {
                            p("enum {...}");
                        } else {
                            emitEnumFwd(id);
                        }
                    }
                    case BTF_KIND_FWD -> {
                        emitMods(v);
                        emitFwdDef(id);
                    }
                    case BTF_KIND_TYPEDEF -> {
                        emitMods(v);
                        p(identName(id));
                    }
                    case BTF_KIND_PTR -> p(lastWasPtr ? "*" : " *");
                    case BTF_KIND_VOLATILE -> p(" volatile");
                    case BTF_KIND_CONST -> p(" const");
                    case BTF_KIND_RESTRICT -> p(" restrict");
                    case BTF_KIND_TYPE_TAG -> {
                        emitMods(v);
                        String name = btf.str(btf.nameOff(id));
                        if (btf.kflag(id)) {
                            buf.append(" __attribute__((").append(name).append("))");
                        } else {
                            buf.append(" __attribute__((btf_type_tag(\"").append(name).append("\")))");
                        }
                    }
                    case BTF_KIND_ARRAY -> {
                        dropMods(v);
                        long n = btf.arrayLength(id);
                        if (v[1] == 0) {
                            emitName(fname, lastWasPtr);
                            buf.append('[').append(n).append(']');
                            return;
                        }
                        boolean multidim = btf.kindOf(top(v)) == BTF_KIND_ARRAY;
                        if (!fname.isEmpty() && !lastWasPtr) {
                            p(" ");
                        }
                        if (!multidim) {
                            p("(");
                        }
                        emitTypeChain(v, fname, lvl);
                        if (!multidim) {
                            p(")");
                        }
                        buf.append('[').append(n).append(']');
                        return;
                    }
                    case BTF_KIND_FUNC_PROTO -> {
                        int vlen = btf.vlen(id);
                        dropMods(v);
                        if (v[1] > 0) {
                            p(" (");
                            emitTypeChain(v, fname, lvl);
                            p(")");
                        } else {
                            emitName(fname, lastWasPtr);
                        }
                        p("(");
                        work(vlen + 1);
                        if (vlen == 0 || (vlen == 1 && btf.paramType(id, 0) == 0)) {
                            p("void)");
                            return;
                        }
                        for (int i = 0; i < vlen; i++) {
                            if (i > 0) {
                                p(", ");
                            }
                            int pt = btf.paramType(id, i);
                            if (i == vlen - 1 && pt == 0) {
                                p("...");
                                break;
                            }
                            emitTypeDecl(pt, btf.str(btf.paramNameOff(id, i)), lvl);
                        }
                        p(")");
                        return;
                    }
                    default -> {
                        return; // unexpected kind in a declaration chain: emit what we have
                    }
                }
                lastWasPtr = kind == BTF_KIND_PTR;
            }
            emitName(fname, lastWasPtr);
        } finally {
            depth--;
        }
    }

    // ------------------------------------------------------------------ names

    private static int nameDups(Map<String, Integer> map, String name) {
        return map.merge(name, 1, Integer::sum);
    }

    private String resolveName(int id, Map<String, Integer> map) {
        int off = btf.nameOff(id);
        if (off == 0) {
            return "";
        }
        String orig = btf.str(off);
        if (!full) {
            return orig;
        }
        if (nameResolved[id]) {
            return cachedNames[id] != null ? cachedNames[id] : orig;
        }
        int kind = btf.kindOf(id);
        if (kind == BTF_KIND_FWD || (kind == BTF_KIND_ENUM && btf.vlen(id) == 0)) {
            nameResolved[id] = true;
            return orig;
        }
        int dup = nameDups(map, orig);
        if (dup > 1) {
            cachedNames[id] = orig + "___" + dup;
        }
        nameResolved[id] = true;
        return cachedNames[id] != null ? cachedNames[id] : orig;
    }

    private String typeName(int id) {
        return resolveName(id, typeNames);
    }

    private String identName(int id) {
        return resolveName(id, identNames);
    }
}
