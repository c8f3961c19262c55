package dev.jktstr.btf.image;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The compressors the kernel can build a bzImage payload with (CONFIG_KERNEL_*), told apart by magic. */
public enum Compression {
    GZIP(new byte[] {0x1f, (byte) 0x8b}),
    BZIP2(new byte[] {'B', 'Z', 'h'}),
    LZMA(new byte[] {0x5d, 0, 0}),
    XZ(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}),
    LZO(new byte[] {(byte) 0x89, 'L', 'Z', 'O'}),
    LZ4(new byte[] {0x02, 0x21, 0x4c, 0x18}),
    ZSTD(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});

    private final byte[] magic;

    Compression(byte[] magic) {
        this.magic = magic;
    }

    /** The format whose magic starts {@code data}, or null. */
    public static Compression detect(MemorySegment data) {
        outer:
        for (Compression c : values()) {
            if (data.byteSize() < c.magic.length) {
                continue;
            }
            for (int i = 0; i < c.magic.length; i++) {
                if (data.get(ValueLayout.JAVA_BYTE, i) != c.magic[i]) {
                    continue outer;
                }
            }
            return c;
        }
        return null;
    }
}
