package dev.jktstr.btf;

import java.util.List;

/**
 * One decoded BTF type. Decoding happens on demand ({@link Btf#type(int)}); queries and dumps work on
 * the raw data directly, so nothing here is needed to search or render. Names are {@code ""} when
 * anonymous; type references are ids into the same {@link Btf} (0 is {@code void}).
 */
public sealed interface BtfType {
    int id();

    BtfKind kind();

    String name();

    /** INT: {@code encoding} holds the BTF_INT_SIGNED (1), BTF_INT_CHAR (2), BTF_INT_BOOL (4) bits. */
    record Int(int id, String name, int size, int bitOffset, int bits, int encoding) implements BtfType {
        public BtfKind kind() {
            return BtfKind.INT;
        }

        public boolean isSigned() {
            return (encoding & 1) != 0;
        }

        public boolean isChar() {
            return (encoding & 2) != 0;
        }

        public boolean isBool() {
            return (encoding & 4) != 0;
        }
    }

    /** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG: a name (maybe empty) and one referenced type. */
    record Ref(int id, BtfKind kind, String name, int type, boolean kindFlag) implements BtfType {}

    record Array(int id, String name, int elementType, int indexType, long length) implements BtfType {
        public BtfKind kind() {
            return BtfKind.ARRAY;
        }
    }

    /** STRUCT or UNION; member bit offsets are absolute within the aggregate. */
    record Composite(int id, BtfKind kind, String name, long size, List<Member> members) implements BtfType {}

    /** A struct/union member; {@code bitfieldSize} is 0 when the member is not a bitfield. */
    record Member(String name, int type, long bitOffset, int bitfieldSize) {}

    /** ENUM or ENUM64; values are sign- or zero-extended to 64 bits according to {@code signed}. */
    record Enum(int id, BtfKind kind, String name, boolean signed, long size, List<Enumerator> values)
            implements BtfType {}

    record Enumerator(String name, long value) {}

    record Fwd(int id, String name, boolean union) implements BtfType {
        public BtfKind kind() {
            return BtfKind.FWD;
        }
    }

    /** FUNC: {@code linkage} is 0 static, 1 global, 2 extern. */
    record Func(int id, String name, int protoType, int linkage) implements BtfType {
        public BtfKind kind() {
            return BtfKind.FUNC;
        }
    }

    record FuncProto(int id, int returnType, List<Param> params) implements BtfType {
        public BtfKind kind() {
            return BtfKind.FUNC_PROTO;
        }

        public String name() {
            return "";
        }
    }

    /** A FUNC_PROTO parameter; a last parameter of type 0 means varargs. */
    record Param(String name, int type) {}

    /** VAR: {@code linkage} is 0 static, 1 global, 2 extern. */
    record Var(int id, String name, int type, int linkage) implements BtfType {
        public BtfKind kind() {
            return BtfKind.VAR;
        }
    }

    record Datasec(int id, String name, long size, List<VarSecInfo> vars) implements BtfType {
        public BtfKind kind() {
            return BtfKind.DATASEC;
        }
    }

    record VarSecInfo(int type, long offset, long size) {}

    record Float(int id, String name, int size) implements BtfType {
        public BtfKind kind() {
            return BtfKind.FLOAT;
        }
    }

    /** DECL_TAG: {@code componentIndex} is -1 for the whole type, else a member or parameter index. */
    record DeclTag(int id, String name, int type, int componentIndex, boolean kindFlag) implements BtfType {
        public BtfKind kind() {
            return BtfKind.DECL_TAG;
        }
    }
}
