package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import java.util.List;

/**
 * Sizes and alignments of BTF types as libbpf computes them: {@code btf__resolve_size()},
 * {@code btf__align_of()} and the pointer size guessed from the {@code long} integer types.
 * Alignments are memoised per type id, so member types shared by many structs cost nothing the
 * second time.
 */
final class BtfLayout {

    private static final List<String> LONG_ALIASES = List.of("long", "long int", "int long", "unsigned long",
            "long unsigned", "unsigned long int", "unsigned int long", "long unsigned int", "long int unsigned",
            "int unsigned long", "int long unsigned");

    private final Btf btf;
    private volatile int pointerSize;
    /** alignment+1 per type id, 0 = not yet computed (benign races: every writer writes the same value). */
    private byte[] alignCache;

    BtfLayout(Btf btf) {
        this.btf = btf;
    }

    /** Pointer size in bytes, guessed from the {@code long} integer types as libbpf does (default 8). */
    int pointerSize() {
        int p = pointerSize;
        if (p == 0) {
            p = btf.base() != null ? btf.base().pointerSize() : guessPointerSize();
            pointerSize = p;
        }
        return p;
    }

    private int guessPointerSize() {
        for (int id = btf.firstId(); id < btf.typeCount(); id++) {
            if (btf.kindOf(id) != BTF_KIND_INT) {
                continue;
            }
            int size = btf.sizeOrType(id);
            if (size != 4 && size != 8) {
                continue;
            }
            String name = btf.strOrNull(btf.nameOff(id));
            if (name != null && LONG_ALIASES.contains(name)) {
                return size;
            }
        }
        return 8;
    }

    /**
     * Size in bytes of a type as libbpf's btf__resolve_size() computes it (arrays multiply, modifiers and
     * typedefs pass through), or -1 if the type has no size (void, FWD, FUNC, FUNC_PROTO) or it overflows.
     */
    long resolveSize(int id) {
        long nelems = 1;
        for (int i = 0; i < Btf.MAX_CHAIN; i++) {
            int kind = btf.kindOf(id);
            switch (kind) {
                case 0, BTF_KIND_FWD -> {
                    return -1;
                }
                case BTF_KIND_INT, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_DATASEC,
                     BTF_KIND_FLOAT -> {
                    long size = Integer.toUnsignedLong(btf.sizeOrType(id));
                    if (nelems != 0 && size > 0xffffffffL / nelems) {
                        return -1;
                    }
                    return nelems * size;
                }
                case BTF_KIND_PTR -> {
                    return nelems * pointerSize();
                }
                case BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_VAR,
                     BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG -> id = btf.sizeOrType(id);
                case BTF_KIND_ARRAY -> {
                    long n = btf.arrayLength(id);
                    if (nelems != 0 && n > 0xffffffffL / nelems) {
                        return -1;
                    }
                    nelems *= n;
                    id = btf.arrayType(id);
                }
                default -> {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** {@code sizeof} of a type in bytes; throws for types without a size. */
    long sizeOf(int id) {
        long s = resolveSize(id);
        if (s < 0) {
            throw new BtfLookupException("type [" + id + "] "
                    + (id == 0 ? "void" : btf.kind(id) + " '" + btf.name(id) + "'") + " has no size");
        }
        return s;
    }

    /** {@code _Alignof} of a type in bytes; throws for types without an alignment. */
    int alignOf(int id) {
        int a = alignment(id, 0);
        if (a <= 0) {
            throw new BtfLookupException("type [" + id + "] has no alignment");
        }
        return a;
    }

    /** libbpf's btf__align_of(): 0 if unknown; 1 for structs whose layout shows they are packed. */
    int alignment(int id, int depth) {
        byte[] cache = alignCache;
        if (cache == null) {
            cache = new byte[btf.typeCount()];
            alignCache = cache;
        }
        if (id >= 0 && id < cache.length && cache[id] != 0) {
            return cache[id] - 1;
        }
        int a = computeAlignment(id, depth);
        if (id >= 0 && id < cache.length && a >= 0 && a < 127) {
            cache[id] = (byte) (a + 1);
        }
        return a;
    }

    private int computeAlignment(int id, int depth) {
        if (depth > Btf.MAX_CHAIN) {
            throw new BtfFormatException("type nesting deeper than " + Btf.MAX_CHAIN + " at id " + id + " (loop?)");
        }
        switch (btf.kindOf(id)) {
            case BTF_KIND_INT, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FLOAT -> {
                return (int) Math.min(pointerSize(), Integer.toUnsignedLong(btf.sizeOrType(id)));
            }
            case BTF_KIND_PTR -> {
                return pointerSize();
            }
            case BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG -> {
                return alignment(btf.sizeOrType(id), depth + 1);
            }
            case BTF_KIND_ARRAY -> {
                return alignment(btf.arrayType(id), depth + 1);
            }
            case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                int vlen = btf.vlen(id);
                int max = 1;
                for (int i = 0; i < vlen; i++) {
                    int a = alignment(btf.memberType(id, i), depth + 1);
                    if (a <= 0) {
                        return a;
                    }
                    max = Math.max(max, a);
                    if (btf.memberBitfieldSize(id, i) == 0 && btf.memberBitOffset(id, i) % (8L * a) != 0) {
                        return 1;
                    }
                }
                if (Integer.toUnsignedLong(btf.sizeOrType(id)) % max != 0) {
                    return 1;
                }
                return max;
            }
            default -> {
                return 0;
            }
        }
    }
}
