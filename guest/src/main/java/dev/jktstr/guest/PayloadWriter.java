package dev.jktstr.guest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/** Builds little-endian payloads: u8, u32, u64, bytes (u32 length + data), str (UTF-8 bytes), strs (u32 count + strs). */
final class PayloadWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PayloadWriter u8(int v) {
        out.write(v);
        return this;
    }

    PayloadWriter u32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    PayloadWriter u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    PayloadWriter bytes(byte[] data) {
        u32(data.length);
        out.writeBytes(data);
        return this;
    }

    PayloadWriter str(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("string contains a NUL character: " + s.replace('\0', '?'));
        }
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    PayloadWriter strs(Collection<String> list) {
        u32(list.size());
        list.forEach(this::str);
        return this;
    }

    byte[] toBytes() {
        return out.toByteArray();
    }
}
