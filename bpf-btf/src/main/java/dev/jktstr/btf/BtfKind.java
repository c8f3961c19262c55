package dev.jktstr.btf;

/** BTF type kinds 1 to 19, numbered as in include/uapi/linux/btf.h. */
public enum BtfKind {
    INT(1), PTR(2), ARRAY(3), STRUCT(4), UNION(5), ENUM(6), FWD(7), TYPEDEF(8), VOLATILE(9), CONST(10),
    RESTRICT(11), FUNC(12), FUNC_PROTO(13), VAR(14), DATASEC(15), FLOAT(16), DECL_TAG(17), TYPE_TAG(18),
    ENUM64(19);

    /** Highest kind number this reader understands; anything above is rejected. */
    public static final int MAX = 19;

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
