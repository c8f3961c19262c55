package dev.jktstr.guest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Parses a payload built by the agent; every length is checked against what is left, so bad input throws. */
final class PayloadReader {
    private final byte[] data;
    private final String what;
    private int pos;

    PayloadReader(byte[] data, String what) {
        this.data = data;
        this.what = what;
    }

    private void need(long n) {
        if (n > data.length - pos) {
            throw new AgentProtocolException(what + ": payload truncated at offset " + pos + " (needs " + n
                    + " more bytes, has " + (data.length - pos) + ")");
        }
    }

    int u8() {
        need(1);
        return data[pos++] & 0xFF;
    }

    long u32() {
        need(4);
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (long) (data[pos++] & 0xFF) << (8 * i);
        }
        return v;
    }

    long u64() {
        long lo = u32();
        return lo | (u32() << 32);
    }

    byte[] bytes() {
        long n = u32();
        need(n);
        byte[] b = new byte[(int) n];
        System.arraycopy(data, pos, b, 0, b.length);
        pos += b.length;
        return b;
    }

    String str() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    List<String> strs() {
        long n = u32();
        // Each string takes at least its 4-byte length, which bounds the count by what is left.
        need(n * 4);
        List<String> list = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            list.add(str());
        }
        return list;
    }

    void end() {
        if (pos != data.length) {
            throw new AgentProtocolException(what + ": " + (data.length - pos) + " unexpected trailing bytes");
        }
    }
}
