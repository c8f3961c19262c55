package dev.jktstr.btf.image;

import io.airlift.compress.lzo.LzoDecompressor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The lzop container the kernel's {@code lzop -9} writes (parsed as lib/decompress_unlzo.c does), with
 * each LZO1X block decoded by aircompressor's raw LZO decompressor. aircompressor's own lzop stream
 * rejects the LZO1X-999 method number that {@code -9} records, although the block format is the same.
 */
final class Lzop {
    private static final byte[] MAGIC = {(byte) 0x89, 'L', 'Z', 'O', 0, 0x0d, 0x0a, 0x1a, 0x0a};
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int F_ADLER32_D = 0x1, F_ADLER32_C = 0x2, F_H_FILTER = 0x800, F_CRC32_D = 0x100,
            F_CRC32_C = 0x200;
    /** lzop's largest block. */
    private static final int MAX_BLOCK = 64 << 20;

    private Lzop() {}

    static long decompress(MemorySegment in, MemorySegment out) {
        long n = in.byteSize();
        long p = 0;
        need(in, p, MAGIC.length + 7);
        for (int i = 0; i < MAGIC.length; i++) {
            if (in.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) {
                throw new KernelImageException("not an lzop stream");
            }
        }
        p = MAGIC.length;
        int version = Short.toUnsignedInt(in.get(U16, p));
        p += 4; // version, lib version
        if (version >= 0x0940) {
            p += 2; // version needed to extract
        }
        need(in, p, 2);
        p += 1; // method
        if (version >= 0x0940) {
            p += 1; // level
        }
        need(in, p, 4);
        int flags = in.get(U32, p);
        p += 4;
        if ((flags & F_H_FILTER) != 0) {
            p += 4;
        }
        p += 8; // mode, mtime low
        if (version >= 0x0940) {
            p += 4; // mtime high
        }
        need(in, p, 1);
        p += 1 + Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, p)); // file name
        p += 4; // header checksum
        LzoDecompressor lzo = new LzoDecompressor();
        long op = 0;
        while (true) {
            need(in, p, 4);
            long dst = Integer.toUnsignedLong(in.get(U32, p));
            p += 4;
            if (dst == 0) {
                break;
            }
            need(in, p, 4);
            long src = Integer.toUnsignedLong(in.get(U32, p));
            p += 4;
            if (dst > MAX_BLOCK || src > dst || dst > out.byteSize() - op) {
                throw new KernelImageException("lzop block of " + dst + " bytes is implausible or overruns the output");
            }
            if ((flags & (F_ADLER32_D | F_CRC32_D)) != 0) {
                p += 4;
            }
            if (src < dst && (flags & (F_ADLER32_C | F_CRC32_C)) != 0) {
                p += 4;
            }
            need(in, p, src);
            if (src == dst) {
                MemorySegment.copy(in, p, out, op, src);
            } else {
                byte[] a = in.asSlice(p, src).toArray(ValueLayout.JAVA_BYTE);
                byte[] b = new byte[(int) dst];
                int got;
                try {
                    got = lzo.decompress(a, 0, a.length, b, 0, b.length);
                } catch (RuntimeException e) {
                    throw new KernelImageException("corrupt LZO block: " + e.getMessage(), e);
                }
                if (got != dst) {
                    throw new KernelImageException("LZO block decompressed to " + got + " bytes, expected " + dst);
                }
                MemorySegment.copy(b, 0, out, ValueLayout.JAVA_BYTE, op, got);
            }
            p += src;
            op += dst;
        }
        return op;
    }

    private static void need(MemorySegment in, long p, long len) {
        if (p < 0 || len < 0 || p > in.byteSize() - len) {
            throw new KernelImageException("truncated lzop stream");
        }
    }
}
