package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

/** BTF type kinds 1 to 19, numbered by the {@code BTF_KIND_*} constants generated from include/uapi/linux/btf.h. */
public enum BtfKind {
    INT(BTF_KIND_INT), PTR(BTF_KIND_PTR), ARRAY(BTF_KIND_ARRAY), STRUCT(BTF_KIND_STRUCT), UNION(BTF_KIND_UNION),
    ENUM(BTF_KIND_ENUM), FWD(BTF_KIND_FWD), TYPEDEF(BTF_KIND_TYPEDEF), VOLATILE(BTF_KIND_VOLATILE),
    CONST(BTF_KIND_CONST), RESTRICT(BTF_KIND_RESTRICT), FUNC(BTF_KIND_FUNC), FUNC_PROTO(BTF_KIND_FUNC_PROTO),
    VAR(BTF_KIND_VAR), DATASEC(BTF_KIND_DATASEC), FLOAT(BTF_KIND_FLOAT), DECL_TAG(BTF_KIND_DECL_TAG),
    TYPE_TAG(BTF_KIND_TYPE_TAG), ENUM64(BTF_KIND_ENUM64);

    /** Highest kind number this reader understands; anything above is rejected. */
    public static final int MAX = BTF_KIND_MAX;

    private static final BtfKind[] BY_NUMBER = new BtfKind[MAX + 1];

    static {
        for (BtfKind k : values()) {
            BY_NUMBER[k.number] = k;
        }
    }

    private final int number;

    BtfKind(int number) {
        this.number = number;
    }

    /** The kind's number in the {@code info} word of a {@code struct btf_type}. */
    public int number() {
        return number;
    }

    /** The kind for a number from 1 to {@link #MAX}. */
    public static BtfKind of(int number) {
        if (number < 1 || number > MAX) {
            throw new BtfFormatException("unknown BTF kind " + number);
        }
        return BY_NUMBER[number];
    }
}
