package dev.jktstr.btf.image;

import io.airlift.compress.bzip2.BZip2HadoopStreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * An x86 bzImage: finds the compressed kernel through the setup header's {@code payload_offset} and
 * {@code payload_length} (boot protocol 2.08+), tells the compressor by its magic and decompresses it
 * into the inner ELF (the kernel's {@code vmlinux.bin}, i.e. vmlinux with symbols stripped but
 * {@code .BTF} kept, possibly followed by relocation data).
 *
 * <p>The kernel build appends the decompressed size as a little-endian u32 after every payload; the
 * output buffer is sized from it, capped at the setup header's {@code init_size} (boot protocol 2.10+:
 * the memory the kernel needs to decompress itself, which the boot protocol makes at least that size)
 * and at {@value #MAX_VMLINUX} bytes, and decompression that overruns it or falls short ends in
 * {@link KernelImageException}, so a hostile image cannot make this allocate without bound.
 *
 * <p>zstd is decoded by the system's libzstd ({@link ZstdDecoder}; {@link MissingDecoderException} when it
 * cannot be loaded), the other formats by pure-Java decoders (see the module README).
 */
public final class BzImage {
    /** Largest decompressed kernel accepted (Debian's 6.12 kernels decompress to about 55 MiB). */
    public static final long MAX_VMLINUX = 512L << 20;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final Logger LOG = LoggerFactory.getLogger(BzImage.class);

    private BzImage() {}

    /** Whether {@code image} has the x86 boot sector signature and the "HdrS" setup header magic. */
    public static boolean isBzImage(MemorySegment image) {
        return image.byteSize() >= 0x250 && image.get(U16, 0x1fe) == (short) 0xaa55
                && image.get(U32, 0x202) == 0x53726448;
    }

    /** The compressed payload, as a slice of {@code image}. */
    public static MemorySegment payload(MemorySegment image) {
        if (!isBzImage(image)) {
            throw new KernelImageException("not an x86 bzImage (no 0xAA55 boot signature and HdrS magic)");
        }
        int version = Short.toUnsignedInt(image.get(U16, 0x206));
        if (version < 0x208) {
            throw new KernelImageException(String.format(
                    "boot protocol %d.%02d has no payload fields (2.08 or later needed)", version >> 8, version & 0xff));
        }
        int setupSects = Byte.toUnsignedInt(image.get(ValueLayout.JAVA_BYTE, 0x1f1));
        if (setupSects == 0) {
            setupSects = 4;
        }
        long pmStart = (setupSects + 1L) * 512;
        long payloadOffset = Integer.toUnsignedLong(image.get(U32, 0x248));
        long payloadLength = Integer.toUnsignedLong(image.get(U32, 0x24c));
        long start = pmStart + payloadOffset;
        if (payloadLength < 8 || start > image.byteSize() || payloadLength > image.byteSize() - start) {
            throw new KernelImageException("bzImage payload (offset " + start + ", " + payloadLength
                    + " bytes) lies outside the " + image.byteSize() + "-byte image");
        }
        return image.asSlice(start, payloadLength);
    }

    /** The compressor of the payload. */
    public static Compression compression(MemorySegment image) {
        MemorySegment p = payload(image);
        Compression c = Compression.detect(p);
        if (c == null) {
            throw new KernelImageException(String.format("unknown bzImage payload compression (magic %02x %02x %02x %02x)",
                    p.get(ValueLayout.JAVA_BYTE, 0), p.get(ValueLayout.JAVA_BYTE, 1),
                    p.get(ValueLayout.JAVA_BYTE, 2), p.get(ValueLayout.JAVA_BYTE, 3)));
        }
        return c;
    }

    /**
     * The setup header's {@code init_size} (boot protocol 2.10+), the memory the kernel needs from its load
     * address to decompress and run; 0 for older protocols. The boot protocol requires it to hold the
     * decompressed kernel, so it bounds the size the payload may record.
     */
    public static long initSize(MemorySegment image) {
        payload(image); // validates the header
        int version = Short.toUnsignedInt(image.get(U16, 0x206));
        return version >= 0x20a ? Integer.toUnsignedLong(image.get(U32, 0x260)) : 0;
    }

    /** Decompresses the kernel of a mapped bzImage into memory from {@code arena}; returns the inner ELF. */
    public static MemorySegment extractVmlinux(MemorySegment image, Arena arena) {
        Compression c = compression(image);
        MemorySegment p = payload(image);
        long size = Integer.toUnsignedLong(p.get(U32, p.byteSize() - 4));
        long initSize = initSize(image);
        if (initSize > 0 && size > initSize) {
            throw new KernelImageException("bzImage payload records a decompressed size of " + size
                    + " bytes, more than the setup header's init_size of " + initSize + " bytes");
        }
        long t0 = System.nanoTime();
        MemorySegment out = decompress(p, c, size, arena);
        LOG.debug("decompressed {} bzImage payload: {} -> {} bytes in {} ms", c, p.byteSize(), size,
                (System.nanoTime() - t0) / 1_000_000);
        return out;
    }

    /** Maps a bzImage file, decompresses its kernel into memory from {@code arena} and unmaps the file. */
    public static MemorySegment extractVmlinux(Path bzImage, Arena arena) {
        try (Arena mapping = Arena.ofConfined(); FileChannel ch = FileChannel.open(bzImage, StandardOpenOption.READ)) {
            MemorySegment image = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), mapping);
            return extractVmlinux(image, arena);
        } catch (NoSuchFileException e) {
            throw new KernelImageException("no such file: " + bzImage);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + bzImage + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decompresses a kernel payload as the kernel build made it: the compressed stream followed by the
     * decompressed size as a u32 (for gzip, the gzip trailer's ISIZE is that u32). The result must be
     * exactly {@code size} bytes.
     */
    public static MemorySegment decompress(MemorySegment payload, Compression c, long size, Arena arena) {
        if (size <= 0 || size > MAX_VMLINUX) {
            throw new KernelImageException("implausible decompressed kernel size " + size + " bytes recorded in the image");
        }
        MemorySegment out = arena.allocate(size, 4096);
        // For every format but gzip the size u32 is not part of the stream.
        MemorySegment stream = c == Compression.GZIP ? payload : payload.asSlice(0, payload.byteSize() - 4);
        long n;
        if (c == Compression.LZ4) {
            n = Lz4Legacy.decompress(stream, out);
        } else if (c == Compression.LZO) {
            n = Lzop.decompress(stream, out);
        } else if (c == Compression.ZSTD) {
            n = ZstdDecoder.decompress(stream, out);
        } else {
            try (InputStream in = open(c, new SegmentInputStream(stream))) {
                n = drain(in, out, c);
            } catch (IOException | RuntimeException e) {
                if (e instanceof KernelImageException k) {
                    throw k;
                }
                throw new KernelImageException("corrupt " + c + " kernel payload: " + e.getMessage(), e);
            } catch (OutOfMemoryError e) {
                throw new KernelImageException(c + " kernel payload needs more memory than allowed to decompress", e);
            }
        }
        if (n != size) {
            throw new KernelImageException(c + " kernel payload decompressed to " + n + " bytes, the image records "
                    + size);
        }
        return out;
    }

    private static InputStream open(Compression c, InputStream in) throws IOException {
        return switch (c) {
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case XZ -> new XZInputStream(in, 256 * 1024); // memory limit in KiB: the kernel uses a 32 MiB dictionary
            case LZMA -> new LZMAInputStream(in, 256 * 1024);
            case BZIP2 -> new BZip2HadoopStreams().createInputStream(in);
            case LZ4, LZO, ZSTD -> throw new AssertionError(c + " is decoded in place");
        };
    }

    private static long drain(InputStream in, MemorySegment out, Compression c) throws IOException {
        byte[] buf = new byte[1 << 16];
        long pos = 0;
        int r;
        while ((r = in.read(buf, 0, buf.length)) > 0) {
            if (r > out.byteSize() - pos) {
                throw new KernelImageException(c + " kernel payload decompresses to more than the "
                        + out.byteSize() + " bytes the image records");
            }
            MemorySegment.copy(buf, 0, out, ValueLayout.JAVA_BYTE, pos, r);
            pos += r;
        }
        return pos;
    }
}
