package dev.jktstr.kvm.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A growable little-endian byte buffer for firmware tables, with back-patching and checksums. */
final class ByteWriter {

    private byte[] buf = new byte[256];
    private int size;

    int size() {
        return size;
    }

    private void ensure(int extra) {
        if (size + extra > buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
        }
    }

    ByteWriter u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    ByteWriter u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    ByteWriter u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    ByteWriter u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    ByteWriter bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    ByteWriter zeros(int n) {
        ensure(n);
        size += n; // the buffer is zero beyond size: it only ever grows
        return this;
    }

    /** ASCII text padded with {@code pad} (or cut) to exactly {@code width} bytes. */
    ByteWriter ascii(String text, int width, char pad) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < width; i++) {
            u8(i < b.length ? b[i] : pad);
        }
        return this;
    }

    void putU8(int offset, int v) {
        buf[offset] = (byte) v;
    }

    void putU16(int offset, int v) {
        putU8(offset, v);
        putU8(offset + 1, v >>> 8);
    }

    void putU32(int offset, long v) {
        putU16(offset, (int) v);
        putU16(offset + 2, (int) (v >>> 16));
    }

    /** Sets {@code buf[at]} so that bytes {@code [from, to)} sum to zero modulo 256. */
    void checksum(int from, int to, int at) {
        buf[at] = 0;
        buf[at] = (byte) -sum(buf, from, to);
    }

    static int sum(byte[] b, int from, int to) {
        int s = 0;
        for (int i = from; i < to; i++) {
            s += b[i];
        }
        return s & 0xFF;
    }

    byte[] toArray() {
        return java.util.Arrays.copyOf(buf, size);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
