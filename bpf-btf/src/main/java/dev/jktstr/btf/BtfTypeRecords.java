package dev.jktstr.btf;

import static dev.jktstr.bindings.btf.BtfH.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Where each record of a BTF type section starts. One pass over the section checks every record's
 * kind, {@code info} bits and extent (fixed part plus kind-specific trailer); nothing else is decoded.
 * {@code offsets[i]} is the absolute offset of type {@code firstId + i}; the array may be longer than
 * {@code count} (it is not trimmed, to keep a parse's allocation near 4 bytes per type).
 */
final class BtfTypeRecords {

    /** Bits of btf_type.info that carry meaning (vlen, kind, kind_flag); the kernel rejects the others. */
    private static final int INFO_MASK = 0x9f00ffff;

    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    final int[] offsets;
    final int count;

    /** Scans the type section {@code s} describes; its first record is type {@code firstId}. */
    BtfTypeRecords(MemorySegment data, BtfSections s, int firstId) {
        ValueLayout.OfInt u32 = s.bigEndian() ? INT_BE : INT_LE;
        long typeLen = s.typeLen();
        // Sized for vmlinux's average record (~44 bytes), grown if the guess is short.
        int[] offs = new int[(int) Math.min(typeLen / 32 + 16, Integer.MAX_VALUE - 8)];
        int n = 0;
        long p = s.typeStart();
        long end = p + typeLen;
        while (p < end) {
            if (end - p < 12) {
                throw new BtfFormatException("truncated BTF type record at type id " + (firstId + n));
            }
            int info = data.get(u32, p + 4);
            int kind = (info >>> 24) & 0x1f;
            if ((info & ~INFO_MASK) != 0) {
                throw new BtfFormatException(String.format("invalid info 0x%08x in BTF type id %d", info, firstId + n));
            }
            int vlen = info & 0xffff;
            long extra = switch (kind) {
                case BTF_KIND_INT, BTF_KIND_VAR, BTF_KIND_DECL_TAG -> 4;
                case BTF_KIND_PTR, BTF_KIND_FWD, BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST,
                     BTF_KIND_RESTRICT, BTF_KIND_FUNC, BTF_KIND_FLOAT, BTF_KIND_TYPE_TAG -> 0;
                case BTF_KIND_ARRAY -> 12;
                case BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_DATASEC, BTF_KIND_ENUM64 -> 12L * vlen;
                case BTF_KIND_ENUM, BTF_KIND_FUNC_PROTO -> 8L * vlen;
                default -> throw new BtfFormatException("unknown BTF kind " + kind + " at type id " + (firstId + n)
                        + " (this reader knows kinds 1.." + BtfKind.MAX + ")");
            };
            if (end - p - 12 < extra) {
                throw new BtfFormatException("truncated BTF type record at type id " + (firstId + n));
            }
            if (n == offs.length) {
                offs = Arrays.copyOf(offs, (int) Math.min((long) n + (n >> 1) + 16, typeLen / 12 + 1));
            }
            offs[n++] = (int) p;
            p += 12 + extra;
        }
        if ((long) firstId + n > Integer.MAX_VALUE) {
            throw new BtfFormatException("too many BTF types");
        }
        this.offsets = offs;
        this.count = n;
    }
}
