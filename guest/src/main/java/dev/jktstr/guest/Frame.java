package dev.jktstr.guest;

/** One protocol frame: request id, type and payload (already CRC-checked when read). */
record Frame(int id, int type, byte[] payload) {
    @Override
    public String toString() {
        return "Frame[id=" + Integer.toUnsignedString(id) + ", type=" + Protocol.typeName(type)
                + ", " + payload.length + " bytes]";
    }
}
