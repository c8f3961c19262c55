package dev.jktstr.kvm.acpi;

import java.nio.charset.StandardCharsets;

/**
 * A tiny AML encoder for the few terms our DSDT needs (ACPI 6.5 §20): Scope, Device, Name, Package,
 * Buffer, strings, integers and EISA ids, plus the resource descriptors (§6.4) a {@code _CRS} of ours
 * holds: I/O ports, fixed 32-bit memory and extended interrupts. Each method returns the encoded bytes
 * of one term; nest them by passing the bytes of the inner terms.
 */
public final class Aml {

    static final int ZERO_OP = 0x00;
    static final int ONE_OP = 0x01;
    static final int NAME_OP = 0x08;
    static final int BYTE_PREFIX = 0x0A;
    static final int WORD_PREFIX = 0x0B;
    static final int DWORD_PREFIX = 0x0C;
    static final int STRING_PREFIX = 0x0D;
    static final int QWORD_PREFIX = 0x0E;
    static final int SCOPE_OP = 0x10;
    static final int BUFFER_OP = 0x11;
    static final int PACKAGE_OP = 0x12;
    static final int DUAL_NAME_PREFIX = 0x2E;
    static final int MULTI_NAME_PREFIX = 0x2F;
    static final int EXT_OP_PREFIX = 0x5B;
    static final int DEVICE_OP = 0x82;
    static final int ROOT_CHAR = '\\';
    static final int PARENT_PREFIX_CHAR = '^';
    static final int ONES_OP = 0xFF;

    private Aml() {
    }

    /** {@code Scope (path) { terms }}. */
    public static byte[] scope(String path, byte[]... terms) {
        byte[] inner = ByteWriter.concat(nameString(path), ByteWriter.concat(terms));
        return ByteWriter.concat(new byte[] {SCOPE_OP}, pkgLength(inner.length), inner);
    }

    /** {@code Device (name) { terms }}. */
    public static byte[] device(String name, byte[]... terms) {
        byte[] inner = ByteWriter.concat(nameString(name), ByteWriter.concat(terms));
        return ByteWriter.concat(new byte[] {EXT_OP_PREFIX, (byte) DEVICE_OP}, pkgLength(inner.length), inner);
    }

    /** {@code Name (name, data)}. */
    public static byte[] name(String name, byte[] data) {
        return ByteWriter.concat(new byte[] {NAME_OP}, nameString(name), data);
    }

    /** {@code Package (n) { elements }} with n = the number of elements. */
    public static byte[] pkg(byte[]... elements) {
        if (elements.length > 255) {
            throw new IllegalArgumentException("a Package holds at most 255 elements, got " + elements.length);
        }
        byte[] inner = ByteWriter.concat(new byte[] {(byte) elements.length}, ByteWriter.concat(elements));
        return ByteWriter.concat(new byte[] {PACKAGE_OP}, pkgLength(inner.length), inner);
    }

    /** A null-terminated ASCII string constant. */
    public static byte[] string(String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        for (byte c : b) {
            if (c < 1 || c > 0x7F) {
                throw new IllegalArgumentException("AML strings are ASCII without NUL: " + text);
            }
        }
        return ByteWriter.concat(new byte[] {STRING_PREFIX}, b, new byte[] {0});
    }

    /** The shortest encoding of an unsigned integer constant: Zero, One, or a byte/word/dword/qword prefix. */
    public static byte[] integer(long value) {
        ByteWriter w = new ByteWriter();
        if (value == 0) {
            w.u8(ZERO_OP);
        } else if (value == 1) {
            w.u8(ONE_OP);
        } else if (value >= 0 && value <= 0xFF) {
            w.u8(BYTE_PREFIX).u8((int) value);
        } else if (value >= 0 && value <= 0xFFFF) {
            w.u8(WORD_PREFIX).u16((int) value);
        } else if (value >= 0 && value <= 0xFFFF_FFFFL) {
            w.u8(DWORD_PREFIX).u32(value);
        } else {
            w.u8(QWORD_PREFIX).u64(value);
        }
        return w.toArray();
    }

    /** {@code Buffer () { bytes }}. */
    public static byte[] buffer(byte[] bytes) {
        byte[] inner = ByteWriter.concat(integer(bytes.length), bytes);
        return ByteWriter.concat(new byte[] {BUFFER_OP}, pkgLength(inner.length), inner);
    }

    /**
     * {@code EisaId ("PNP0501")}: three upper-case letters and four hex digits packed into a DWORD
     * (5 bits a letter, 4 a digit; the first two bytes big-endian), as ACPI's compressed ids are.
     */
    public static byte[] eisaId(String id) {
        if (!id.matches("[A-Z]{3}[0-9A-F]{4}")) {
            throw new IllegalArgumentException("an EISA id is three letters A-Z and four hex digits: " + id);
        }
        int c1 = id.charAt(0) - 0x40;
        int c2 = id.charAt(1) - 0x40;
        int c3 = id.charAt(2) - 0x40;
        int product = Integer.parseInt(id.substring(3), 16);
        long value = (c1 << 2 | c2 >> 3) | ((c2 & 7) << 5 | c3) << 8 | (long) (product >> 8) << 16 | (long) (product & 0xFF) << 24;
        return ByteWriter.concat(new byte[] {DWORD_PREFIX}, new ByteWriter().u32(value).toArray());
    }

    /** {@code ResourceTemplate () { descriptors }}: a Buffer of the descriptors and an End Tag. */
    public static byte[] resourceTemplate(byte[]... descriptors) {
        byte[] endTag = {0x79, 0}; // checksum 0: "treat as correct"
        return buffer(ByteWriter.concat(ByteWriter.concat(descriptors), endTag));
    }

    /** {@code IO (Decode16, base, base, 1, length)}: a fixed range of {@code length} I/O ports. */
    public static byte[] ioPorts(int base, int length) {
        return new ByteWriter().u8(0x47).u8(1).u16(base).u16(base).u8(1).u8(length).toArray();
    }

    /** {@code Memory32Fixed (ReadWrite, base, length)}. */
    public static byte[] memory32Fixed(long base, long length) {
        return new ByteWriter().u8(0x86).u16(9).u8(1).u32(base).u32(length).toArray();
    }

    /** {@code Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi }}: one edge-triggered GSI. */
    public static byte[] edgeInterrupt(int gsi) {
        int consumer = 1;
        int edge = 1 << 1;
        return new ByteWriter().u8(0x89).u16(6).u8(consumer | edge).u8(1).u32(gsi).toArray();
    }

    /**
     * A NameString: optional {@code \} or {@code ^} prefixes, then dot-separated segments of up to four
     * characters ({@code A-Z}, {@code _}, digits not first), each padded with {@code _}.
     */
    public static byte[] nameString(String path) {
        ByteWriter w = new ByteWriter();
        int i = 0;
        if (path.startsWith("\\")) {
            w.u8(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                w.u8(PARENT_PREFIX_CHAR);
                i++;
            }
        }
        String rest = path.substring(i);
        String[] segments = rest.isEmpty() ? new String[0] : rest.split("\\.", -1);
        if (segments.length == 0) {
            w.u8(0); // NullName
        } else if (segments.length == 2) {
            w.u8(DUAL_NAME_PREFIX);
        } else if (segments.length > 2) {
            if (segments.length > 255) {
                throw new IllegalArgumentException("too many name segments: " + path);
            }
            w.u8(MULTI_NAME_PREFIX).u8(segments.length);
        }
        for (String s : segments) {
            if (!s.matches("[A-Z_][A-Z0-9_]{0,3}")) {
                throw new IllegalArgumentException("bad AML name segment '" + s + "' in '" + path + "'");
            }
            w.ascii(s, 4, '_');
        }
        return w.toArray();
    }

    /**
     * PkgLength for a body of {@code bodyLength} bytes: the encoded length counts itself, in 1 to 4
     * bytes (one byte holds up to 63; longer forms put the byte count in bits 7–6 of the lead byte,
     * the low nibble in bits 3–0 and the rest in the following bytes).
     */
    public static byte[] pkgLength(int bodyLength) {
        for (int n = 1; n <= 4; n++) {
            long total = (long) bodyLength + n;
            if (n == 1 && total <= 0x3F) {
                return new byte[] {(byte) total};
            }
            if (n > 1 && total < 1L << (4 + 8 * (n - 1))) {
                byte[] out = new byte[n];
                out[0] = (byte) ((n - 1) << 6 | (total & 0xF));
                for (int k = 1; k < n; k++) {
                    out[k] = (byte) (total >>> (4 + 8 * (k - 1)));
                }
                return out;
            }
        }
        throw new IllegalArgumentException("AML package too long: " + bodyLength + " bytes (PkgLength holds 2^28)");
    }
}
