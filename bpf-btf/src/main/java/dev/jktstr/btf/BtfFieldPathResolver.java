package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The field-path language of {@link Btf#fieldPath(String)}: a root type name followed by
 * {@code .member} and {@code [index]} steps ({@code task_struct.se.sum_exec_runtime},
 * {@code rq[3].nr_running}), parsed and resolved in one left-to-right walk to a {@link BtfField}
 * (type, bit offset, bitfield width, size). Members of anonymous structs and unions are found as in C.
 */
final class BtfFieldPathResolver {

    private final Btf btf;

    BtfFieldPathResolver(Btf btf) {
        this.btf = btf;
    }

    /** Resolves a path whose first step names the root type. */
    BtfField resolve(String path) {
        Objects.requireNonNull(path, "path");
        int dot = firstSeparator(path);
        String root = path.substring(0, dot);
        String rest = dot < path.length() ? path.substring(dot) : "";
        return walk(root, rest, path);
    }

    /** Resolves {@code path} (with or without a leading {@code .}) inside type {@code rootType}. */
    BtfField resolve(String rootType, String path) {
        Objects.requireNonNull(path, "path");
        String rest = path.isEmpty() || path.startsWith("[") || path.startsWith(".") ? path : "." + path;
        return walk(rootType, rest, rootType + rest);
    }

    private static int firstSeparator(String p) {
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '.' || c == '[') {
                return i;
            }
        }
        return p.length();
    }

    private BtfField walk(String rootName, String rest, String whole) {
        int root = rootType(rootName.strip());
        long bits = 0;
        int type = root;
        int bitfield = 0;
        int i = 0;
        int n = rest.length();
        while (i < n) {
            char c = rest.charAt(i);
            if (c == '.') {
                int j = i + 1;
                while (j < n && rest.charAt(j) != '.' && rest.charAt(j) != '[') {
                    j++;
                }
                String member = rest.substring(i + 1, j).strip();
                if (member.isEmpty()) {
                    throw new BtfLookupException("empty step in field path '" + whole + "'");
                }
                if (bitfield != 0) {
                    throw new BtfLookupException("'" + whole + "': a bitfield has no members");
                }
                int agg = btf.resolve(type);
                int k = btf.kindOf(agg);
                if (k != BTF_KIND_STRUCT && k != BTF_KIND_UNION) {
                    throw new BtfLookupException("'" + whole + "': cannot take member '" + member + "' of "
                            + btf.typeName(type) + " (not a struct or union)");
                }
                long[] found = new long[4];
                if (!findMember(agg, member.getBytes(StandardCharsets.UTF_8), 0, found, 0)) {
                    throw new BtfLookupException("'" + whole + "': " + btf.typeName(agg) + " has no member '"
                            + member + "'");
                }
                type = (int) found[0];
                bits += found[1];
                bitfield = (int) found[2];
                i = j;
            } else if (c == '[') {
                int j = rest.indexOf(']', i);
                if (j < 0) {
                    throw new BtfLookupException("unclosed '[' in field path '" + whole + "'");
                }
                long index;
                try {
                    index = Long.decode(rest.substring(i + 1, j).strip());
                } catch (NumberFormatException e) {
                    throw new BtfLookupException("bad index '" + rest.substring(i + 1, j) + "' in field path '"
                            + whole + "'");
                }
                if (index < 0) {
                    throw new BtfLookupException("negative index in field path '" + whole + "'");
                }
                int t = btf.resolve(type);
                long elemSize;
                int elem;
                if (i == 0 && type == root && btf.kindOf(t) != BTF_KIND_ARRAY) {
                    // "rq[3]": the root type's name indexes an array of that type
                    elem = type;
                    elemSize = btf.sizeOf(type);
                } else {
                    if (btf.kindOf(t) != BTF_KIND_ARRAY) {
                        throw new BtfLookupException("'" + whole + "': cannot index " + btf.typeName(type)
                                + " (not an array)");
                    }
                    long len = btf.arrayLength(t);
                    if (len != 0 && index >= len) {
                        throw new BtfLookupException("'" + whole + "': index " + index + " out of bounds for "
                                + btf.typeName(type));
                    }
                    elem = btf.arrayType(t);
                    elemSize = btf.sizeOf(elem);
                }
                if (elemSize != 0 && index > (Long.MAX_VALUE / 8 - bits / 8) / elemSize) {
                    throw new BtfLookupException("'" + whole + "': offset overflows");
                }
                bits += index * elemSize * 8;
                type = elem;
                i = j + 1;
            } else {
                throw new BtfLookupException("unexpected '" + c + "' in field path '" + whole + "'");
            }
        }
        long size = bitfield != 0 ? Math.max(0, btf.resolveSize(type)) : btf.sizeOf(type);
        return new BtfField(btf, whole, type, bits, bitfield, size);
    }

    /** The root step's type: a struct, else a union, else a typedef, else any type but FUNC, FWD, DECL_TAG. */
    private int rootType(String name) {
        OptionalInt id = btf.find(name, BtfKind.STRUCT);
        if (id.isEmpty()) {
            id = btf.find(name, BtfKind.UNION);
        }
        if (id.isEmpty()) {
            id = btf.find(name, BtfKind.TYPEDEF);
        }
        if (id.isEmpty()) {
            for (int candidate : btf.findAll(name)) {
                int k = btf.kindOf(candidate);
                if (k != BTF_KIND_FUNC && k != BTF_KIND_FWD && k != BTF_KIND_DECL_TAG) {
                    return candidate;
                }
            }
            throw new BtfLookupException("no type named '" + name + "' in BTF");
        }
        return id.getAsInt();
    }

    /**
     * Depth-first search in member order, descending into anonymous struct/union members as C does.
     * {@code out} receives the member's type, bit offset and bitfield width; {@code out[3]} counts
     * members visited, so anonymous members shared as a DAG cannot explode the search.
     */
    private boolean findMember(int agg, byte[] name, long baseBits, long[] out, int depth) {
        if (depth > Btf.MAX_CHAIN) {
            throw new BtfFormatException("anonymous member nesting deeper than " + Btf.MAX_CHAIN + " (loop?)");
        }
        if ((out[3] += btf.vlen(agg)) > 1 << 20) {
            throw new BtfFormatException("anonymous members of type " + agg + " nest too often to search");
        }
        int vlen = btf.vlen(agg);
        for (int i = 0; i < vlen; i++) {
            int nameOff = btf.memberNameOff(agg, i);
            if (nameOff != 0) {
                if (btf.strEquals(nameOff, name)) {
                    out[0] = btf.ref(btf.memberType(agg, i));
                    out[1] = baseBits + btf.memberBitOffset(agg, i);
                    out[2] = btf.memberBitfieldSize(agg, i);
                    return true;
                }
            } else {
                int inner = btf.resolve(btf.memberType(agg, i));
                int k = btf.kindOf(inner);
                if ((k == BTF_KIND_STRUCT || k == BTF_KIND_UNION)
                        && findMember(inner, name, baseBits + btf.memberBitOffset(agg, i), out, depth + 1)) {
                    return true;
                }
            }
        }
        return false;
    }
}
