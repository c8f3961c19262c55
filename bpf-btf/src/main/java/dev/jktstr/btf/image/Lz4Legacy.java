package dev.jktstr.btf.image;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Decoder of the LZ4 "legacy" frame the kernel's {@code lz4 -l} writes: magic 0x184C2102, then blocks
 * of {@code u32 compressed size} + LZ4 block, each decompressing to at most 8 MiB. Small enough to own,
 * and every copy is bounds-checked, so malformed input ends in an exception.
 */
final class Lz4Legacy {
    private static final int MAGIC = 0x184C2102;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Lz4Legacy() {}

    /** Decompresses {@code in} into {@code out}; returns the number of bytes written. */
    static long decompress(MemorySegment in, MemorySegment out) {
        long ip = 0;
        long op = 0;
        long n = in.byteSize();
        if (n < 4 || in.get(U32, 0) != MAGIC) {
            throw new KernelImageException("not an LZ4 legacy stream");
        }
        ip = 4;
        while (n - ip >= 4) {
            int csize = in.get(U32, ip);
            if (csize == MAGIC) { // concatenated stream
                ip += 4;
                continue;
            }
            ip += 4;
            if (csize <= 0 || csize > n - ip) {
                if (csize == 0) {
                    break;
                }
                throw new KernelImageException("LZ4 block of " + Integer.toUnsignedString(csize) + " bytes overruns input");
            }
            op = block(in, ip, ip + csize, out, op);
            ip += csize;
        }
        return op;
    }

    private static long block(MemorySegment in, long ip, long iend, MemorySegment out, long op) {
        long oend = out.byteSize();
        while (ip < iend) {
            int token = Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, ip++));
            long lit = token >>> 4;
            if (lit == 15) {
                int b;
                do {
                    if (ip >= iend) {
                        throw bad();
                    }
                    b = Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, ip++));
                    lit += b;
                } while (b == 255);
            }
            if (lit > iend - ip || lit > oend - op) {
                throw bad();
            }
            MemorySegment.copy(in, ip, out, op, lit);
            ip += lit;
            op += lit;
            if (ip >= iend) {
                break; // last sequence has literals only
            }
            if (iend - ip < 2) {
                throw bad();
            }
            int offset = Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, ip))
                    | Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, ip + 1)) << 8;
            ip += 2;
            long len = token & 15;
            if (len == 15) {
                int b;
                do {
                    if (ip >= iend) {
                        throw bad();
                    }
                    b = Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, ip++));
                    len += b;
                } while (b == 255);
            }
            len += 4;
            if (offset == 0 || offset > op || len > oend - op) {
                throw bad();
            }
            long from = op - offset;
            if (offset >= len) {
                MemorySegment.copy(out, from, out, op, len);
                op += len;
            } else {
                // overlapping match: the output repeats with period `offset`, so copy from `from` in
                // chunks that double as the repeated region grows
                long done = 0;
                while (done < len) {
                    long chunk = Math.min(len - done, op - from);
                    MemorySegment.copy(out, from, out, op, chunk);
                    op += chunk;
                    done += chunk;
                }
            }
        }
        return op;
    }

    private static KernelImageException bad() {
        return new KernelImageException("corrupt LZ4 block");
    }
}
