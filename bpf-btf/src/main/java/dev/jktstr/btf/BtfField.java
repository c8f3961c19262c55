package dev.jktstr.btf;

/**
 * Where a field path lands inside its root type.
 *
 * @param path the path as asked for
 * @param typeId the field's BTF type id
 * @param bitOffset offset from the start of the root type, in bits
 * @param bitfieldSize width in bits if the field is a bitfield, else 0
 * @param size the size of the field's type in bytes (for a bitfield: of its underlying integer type)
 */
public record BtfField(Btf btf, String path, int typeId, long bitOffset, int bitfieldSize, long size) {

    /** Offset of the byte holding the field's first bit, from the start of the root type. */
    public long byteOffset() {
        return bitOffset >>> 3;
    }

    /** Bit position of the field inside {@link #byteOffset()}'s byte (0 unless a bitfield). */
    public int bitInByte() {
        return (int) (bitOffset & 7);
    }

    public boolean isBitfield() {
        return bitfieldSize != 0;
    }

    /** The field's type as C writes it, e.g. {@code u64} or {@code struct list_head}. */
    public String typeName() {
        return btf.typeName(typeId);
    }

    /** One line: {@code offset=264 size=8 type=u64} (plus {@code bit=3 bits=1} for bitfields). */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("offset=").append(byteOffset()).append(" size=").append(size);
        if (isBitfield()) {
            sb.append(" bit=").append(bitInByte()).append(" bits=").append(bitfieldSize);
        }
        sb.append(" type=").append(typeName());
        return sb.toString();
    }

    @Override
    public String toString() {
        return path + ": " + describe();
    }
}
