package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import java.io.IOException;

/** The listing of bpftool 7.1's {@code btf dump ... format raw}, byte for byte. */
final class BtfRawDump {
    private static final String[] KIND_NAMES = {"UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD",
        "TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG",
        "TYPE_TAG", "ENUM64"};

    private BtfRawDump() {}

    static void dump(Btf btf, Appendable out) throws IOException {
        StringBuilder sb = new StringBuilder(256);
        int end = btf.typeCount();
        for (int id = btf.firstId(); id < end; id++) {
            sb.setLength(0);
            type(btf, id, sb);
            out.append(sb);
        }
    }

    private static String name(Btf btf, int off) {
        if (off == 0) {
            return "(anon)";
        }
        String s = btf.strOrNull(off);
        return s == null ? "(invalid)" : s;
    }

    private static String intEncoding(int enc) {
        return switch (enc) {
            case 0 -> "(none)";
            case 1 -> "SIGNED";
            case 2 -> "CHAR";
            case 4 -> "BOOL";
            default -> "UNKN";
        };
    }

    private static String varLinkage(int l) {
        return switch (l) {
            case 0 -> "static";
            case 1 -> "global";
            case 2 -> "extern";
            default -> "(unknown)";
        };
    }

    static void type(Btf btf, int id, StringBuilder sb) {
        int kind = btf.kindOf(id);
        int vlen = btf.vlen(id);
        boolean kflag = btf.kflag(id);
        String sizeStr = Integer.toUnsignedString(btf.sizeOrType(id));
        sb.append('[').append(id).append("] ").append(KIND_NAMES[kind]).append(" '")
                .append(name(btf, btf.nameOff(id))).append('\'');
        switch (kind) {
            case BTF_KIND_INT -> {
                int v = btf.raw(id, 12);
                sb.append(" size=").append(sizeStr).append(" bits_offset=").append((v >>> 16) & 0xff)
                        .append(" nr_bits=").append(v & 0xff).append(" encoding=")
                        .append(intEncoding((v >>> 24) & 0x0f));
            }
            case BTF_KIND_PTR, BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_RESTRICT, BTF_KIND_TYPEDEF,
                 BTF_KIND_TYPE_TAG ->
                    sb.append(" type_id=").append(sizeStr);
            case BTF_KIND_ARRAY -> sb.append(" type_id=").append(Integer.toUnsignedString(btf.arrayType(id)))
                    .append(" index_type_id=").append(Integer.toUnsignedString(btf.arrayIndexType(id)))
                    .append(" nr_elems=").append(btf.arrayLength(id));
            case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                sb.append(" size=").append(sizeStr).append(" vlen=").append(vlen);
                for (int i = 0; i < vlen; i++) {
                    sb.append("\n\t'").append(name(btf, btf.memberNameOff(id, i))).append("' type_id=")
                            .append(Integer.toUnsignedString(btf.memberType(id, i))).append(" bits_offset=")
                            .append(btf.memberBitOffset(id, i));
                    int bsz = btf.memberBitfieldSize(id, i);
                    if (bsz != 0) {
                        sb.append(" bitfield_size=").append(bsz);
                    }
                }
            }
            case BTF_KIND_ENUM -> {
                sb.append(" encoding=").append(kflag ? "SIGNED" : "UNSIGNED").append(" size=").append(sizeStr)
                        .append(" vlen=").append(vlen);
                for (int i = 0; i < vlen; i++) {
                    int v = btf.raw(id, 16 + 8 * i);
                    sb.append("\n\t'").append(name(btf, btf.raw(id, 12 + 8 * i))).append("' val=")
                            .append(kflag ? Integer.toString(v) : Integer.toUnsignedString(v));
                }
            }
            case BTF_KIND_ENUM64 -> {
                sb.append(" encoding=").append(kflag ? "SIGNED" : "UNSIGNED").append(" size=").append(sizeStr)
                        .append(" vlen=").append(vlen);
                for (int i = 0; i < vlen; i++) {
                    long v = btf.enumValue(id, i);
                    sb.append("\n\t'").append(name(btf, btf.raw(id, 12 + 12 * i))).append("' val=")
                            .append(kflag ? Long.toString(v) + "LL" : Long.toUnsignedString(v) + "ULL");
                }
            }
            case BTF_KIND_FWD -> sb.append(" fwd_kind=").append(kflag ? "union" : "struct");
            case BTF_KIND_FUNC -> sb.append(" type_id=").append(sizeStr).append(" linkage=").append(varLinkage(vlen));
            case BTF_KIND_FUNC_PROTO -> {
                sb.append(" ret_type_id=").append(sizeStr).append(" vlen=").append(vlen);
                for (int i = 0; i < vlen; i++) {
                    sb.append("\n\t'").append(name(btf, btf.paramNameOff(id, i))).append("' type_id=")
                            .append(Integer.toUnsignedString(btf.paramType(id, i)));
                }
            }
            case BTF_KIND_VAR -> sb.append(" type_id=").append(sizeStr).append(", linkage=")
                    .append(varLinkage(btf.raw(id, 12)));
            case BTF_KIND_DATASEC -> {
                sb.append(" size=").append(sizeStr).append(" vlen=").append(vlen);
                for (int i = 0; i < vlen; i++) {
                    int vt = btf.raw(id, 12 + 12 * i);
                    sb.append("\n\ttype_id=").append(Integer.toUnsignedString(vt)).append(" offset=")
                            .append(Integer.toUnsignedString(btf.raw(id, 16 + 12 * i))).append(" size=")
                            .append(Integer.toUnsignedString(btf.raw(id, 20 + 12 * i)));
                    if (vt >= 0 && vt < btf.typeCount()) {
                        int vk = btf.kindOf(vt);
                        sb.append(" (").append(KIND_NAMES[vk]).append(" '")
                                .append(vt == 0 ? "(anon)" : name(btf, btf.nameOff(vt))).append("')");
                    }
                }
            }
            case BTF_KIND_FLOAT -> sb.append(" size=").append(sizeStr);
            case BTF_KIND_DECL_TAG -> sb.append(" type_id=").append(sizeStr).append(" component_idx=")
                    .append(btf.raw(id, 12));
            default -> { }
        }
        sb.append('\n');
    }
}
