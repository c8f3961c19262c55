package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.BTF_MAGIC;
import static dev.jktstr.bindings.btf.BtfH.BTF_VERSION;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The checked {@code struct btf_header} of raw BTF: its byte order and where the type and string
 * sections lie, as absolute offsets into the data. {@link #read} validates magic, version, flags,
 * {@code hdr_len} and the section bounds, and rejects anything the kernel would.
 *
 * @param bigEndian whether the data is big-endian (the magic reads {@code 0x9feb} little-endian)
 * @param typeStart absolute offset of the type section
 * @param typeLen   length of the type section in bytes
 * @param strStart  absolute offset of the string section
 * @param strLen    length of the string section in bytes
 */
record BtfSections(boolean bigEndian, long typeStart, long typeLen, long strStart, long strLen) {

    /** Size of {@code struct btf_header} as of BTF version 1 (hdr_len may be larger). */
    static final int HEADER_SIZE = 24;

    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Whether {@code segment} starts with the BTF magic in either byte order. */
    static boolean isRawBtf(MemorySegment segment) {
        if (segment.byteSize() < 2) {
            return false;
        }
        int magic = Short.toUnsignedInt(segment.get(SHORT_LE, 0));
        return magic == BTF_MAGIC || magic == Integer.reverseBytes(BTF_MAGIC) >>> 16;
    }

    /**
     * Reads and checks the header of {@code data}; {@code base} is the base of split BTF (its byte
     * order must match and the string section may then start without a NUL) or null.
     */
    static BtfSections read(MemorySegment data, Btf base) {
        long size = data.byteSize();
        if (size < HEADER_SIZE) {
            throw new BtfFormatException("BTF data too short for a header: " + size + " bytes");
        }
        if (size > Integer.MAX_VALUE) {
            throw new BtfFormatException("BTF data larger than 2 GiB: " + size + " bytes");
        }
        int magic = Short.toUnsignedInt(data.get(SHORT_LE, 0));
        boolean bigEndian;
        if (magic == BTF_MAGIC) {
            bigEndian = false;
        } else if (magic == Integer.reverseBytes(BTF_MAGIC) >>> 16) {
            bigEndian = true;
        } else {
            throw new BtfFormatException(String.format("not BTF: magic 0x%04x, expected 0xeb9f", magic));
        }
        if (base != null && base.bigEndian() != bigEndian) {
            throw new BtfFormatException("split BTF and its base differ in byte order");
        }
        int version = Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, 2));
        if (version != BTF_VERSION) {
            throw new BtfFormatException("unsupported BTF version " + version + " (this reader knows version 1)");
        }
        int flags = Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, 3));
        if (flags != 0) {
            throw new BtfFormatException("unsupported BTF header flags 0x" + Integer.toHexString(flags));
        }
        ValueLayout.OfInt u32 = bigEndian ? INT_BE : INT_LE;
        long hdrLen = Integer.toUnsignedLong(data.get(u32, 4));
        if (hdrLen < HEADER_SIZE || hdrLen > size) {
            throw new BtfFormatException("BTF hdr_len " + hdrLen + " out of range [24, " + size + "]");
        }
        long typeOff = Integer.toUnsignedLong(data.get(u32, 8));
        long typeLen = Integer.toUnsignedLong(data.get(u32, 12));
        long strOff = Integer.toUnsignedLong(data.get(u32, 16));
        long strLen = Integer.toUnsignedLong(data.get(u32, 20));
        long payload = size - hdrLen;
        if (typeOff + typeLen > payload || strOff + strLen > payload) {
            throw new BtfFormatException("BTF sections exceed the data: type " + typeOff + "+" + typeLen
                    + ", strings " + strOff + "+" + strLen + ", " + payload + " bytes after the header");
        }
        if ((typeOff & 3) != 0) {
            throw new BtfFormatException("BTF type section not 4-byte aligned: type_off " + typeOff);
        }
        if (typeOff + typeLen > strOff) {
            throw new BtfFormatException("BTF type section overlaps or follows the string section");
        }
        long strStart = hdrLen + strOff;
        if (base == null) {
            if (strLen == 0 || data.get(ValueLayout.JAVA_BYTE, strStart) != 0
                    || data.get(ValueLayout.JAVA_BYTE, strStart + strLen - 1) != 0) {
                throw new BtfFormatException("BTF string section must start and end with NUL");
            }
        } else if (strLen != 0 && data.get(ValueLayout.JAVA_BYTE, strStart + strLen - 1) != 0) {
            throw new BtfFormatException("BTF string section must end with NUL");
        }
        return new BtfSections(bigEndian, hdrLen + typeOff, typeLen, strStart, strLen);
    }
}
