package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one BTF type record in full into its {@link BtfType} record (members, enumerators,
 * parameters, section entries), checking every type id it refers to.
 */
final class BtfTypeDecoder {

    private BtfTypeDecoder() {
    }

    /** Type {@code id} of {@code btf} (not void) as a {@link BtfType}. */
    static BtfType decode(Btf btf, int id) {
        if (id == 0) {
            throw new BtfLookupException("type id 0 is void and has no record");
        }
        int kind = btf.kindOf(id);
        String name = btf.name(id);
        int vlen = btf.vlen(id);
        boolean kf = btf.kflag(id);
        return switch (kind) {
            case BTF_KIND_INT -> {
                int v = btf.raw(id, 12);
                yield new BtfType.Int(id, name, btf.sizeOrType(id), (v >>> 16) & 0xff, v & 0xff, (v >>> 24) & 0x0f);
            }
            case BTF_KIND_PTR, BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT,
                 BTF_KIND_TYPE_TAG -> new BtfType.Ref(id, BtfKind.of(kind), name, btf.ref(btf.sizeOrType(id)), kf);
            case BTF_KIND_ARRAY -> new BtfType.Array(id, name, btf.ref(btf.arrayType(id)),
                    btf.ref(btf.arrayIndexType(id)), btf.arrayLength(id));
            case BTF_KIND_STRUCT, BTF_KIND_UNION -> {
                List<BtfType.Member> ms = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    ms.add(new BtfType.Member(btf.str(btf.memberNameOff(id, i)), btf.ref(btf.memberType(id, i)),
                            btf.memberBitOffset(id, i), btf.memberBitfieldSize(id, i)));
                }
                yield new BtfType.Composite(id, BtfKind.of(kind), name, Integer.toUnsignedLong(btf.sizeOrType(id)),
                        List.copyOf(ms));
            }
            case BTF_KIND_ENUM, BTF_KIND_ENUM64 -> {
                List<BtfType.Enumerator> vs = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    vs.add(new BtfType.Enumerator(btf.str(btf.enumNameOff(id, i)), btf.enumValue(id, i)));
                }
                yield new BtfType.Enum(id, BtfKind.of(kind), name, kf, Integer.toUnsignedLong(btf.sizeOrType(id)),
                        List.copyOf(vs));
            }
            case BTF_KIND_FWD -> new BtfType.Fwd(id, name, kf);
            case BTF_KIND_FUNC -> new BtfType.Func(id, name, btf.ref(btf.sizeOrType(id)), vlen);
            case BTF_KIND_FUNC_PROTO -> {
                List<BtfType.Param> ps = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    ps.add(new BtfType.Param(btf.str(btf.paramNameOff(id, i)), btf.ref(btf.paramType(id, i))));
                }
                yield new BtfType.FuncProto(id, btf.ref(btf.sizeOrType(id)), List.copyOf(ps));
            }
            case BTF_KIND_VAR -> new BtfType.Var(id, name, btf.ref(btf.sizeOrType(id)), btf.raw(id, 12));
            case BTF_KIND_DATASEC -> {
                List<BtfType.VarSecInfo> vs = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    vs.add(new BtfType.VarSecInfo(btf.ref(btf.raw(id, 12 + 12 * i)),
                            Integer.toUnsignedLong(btf.raw(id, 16 + 12 * i)),
                            Integer.toUnsignedLong(btf.raw(id, 20 + 12 * i))));
                }
                yield new BtfType.Datasec(id, name, Integer.toUnsignedLong(btf.sizeOrType(id)), List.copyOf(vs));
            }
            case BTF_KIND_FLOAT -> new BtfType.Float(id, name, btf.sizeOrType(id));
            case BTF_KIND_DECL_TAG -> new BtfType.DeclTag(id, name, btf.ref(btf.sizeOrType(id)), btf.raw(id, 12), kf);
            default -> throw new BtfFormatException("unknown BTF kind " + kind + " at type id " + id);
        };
    }
}
