package dev.jktstr.btf.image;

import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_DCtx_setParameter$mh;
import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_createDCtx$mh;
import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_decompressDCtx$mh;
import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_freeDCtx$mh;
import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_getErrorCode$mh;
import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_getErrorName$mh;
import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_isError$mh;
import static dev.jktstr.bindings.zstd.ZstdH.ZSTD_versionString$mh;

import dev.jktstr.bindings.zstd.ZstdH;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;

/**
 * zstd through the system's libzstd ({@code libzstd.so.1}, Debian package {@code libzstd1}) and the
 * generated {@link ZstdH} bindings: every level, {@code --ultra -22}, {@code --long} and any window up
 * to 2 GiB ({@code ZSTD_WINDOWLOG_MAX_64} = 31).
 *
 * <p>The whole payload is decoded in one {@code ZSTD_decompressDCtx} call straight into the output
 * segment: single-pass decoding reads earlier output in place, so it allocates no window buffer
 * whatever window the frame declares (a streaming decoder would allocate up to the window size, 128
 * MiB for a {@code zstd -22} kernel and 2 GiB for {@code --long=31}), it copies nothing, and it writes no
 * more than the output's capacity: a payload that decodes to more fails with {@code dstSize_tooSmall}.
 * The input must be native memory (a mapped file); a heap segment is copied once.
 */
final class ZstdDecoder {
    /** {@code ZSTD_WINDOWLOG_MAX_64} (zstd.h's static-linking-only part, so not generated): the largest window log. */
    static final int WINDOW_LOG_MAX = 31;

    private ZstdDecoder() {}

    /** Decodes every frame of {@code src} into {@code dst} (native); returns the decoded length. */
    static long decompress(MemorySegment src, MemorySegment dst) {
        if (!dst.isNative()) {
            throw new IllegalArgumentException("zstd output must be native memory");
        }
        requireLibrary();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = src.isNative() ? src : arena.allocate(Math.max(1, src.byteSize())).copyFrom(src);
            MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
            MemorySegment dctx = (MemorySegment) ZSTD_createDCtx$mh.invokeExact(errno);
            if (dctx.equals(MemorySegment.NULL)) {
                throw new KernelImageException("libzstd could not allocate a decompression context (out of memory)");
            }
            try {
                // Single-pass decoding ignores the limit (it allocates no window); set it all the same, so that
                // no libzstd version refuses a large window here.
                check((long) ZSTD_DCtx_setParameter$mh.invokeExact(errno, dctx, ZstdH.ZSTD_d_windowLogMax, WINDOW_LOG_MAX),
                        dst, errno);
                long n = (long) ZSTD_decompressDCtx$mh.invokeExact(errno, dctx, dst, dst.byteSize(), in, src.byteSize());
                check(n, dst, errno);
                return n;
            } finally {
                long ignored = (long) ZSTD_freeDCtx$mh.invokeExact(errno, dctx);
            }
        } catch (KernelImageException | IllegalArgumentException e) {
            throw e;
        } catch (UnsatisfiedLinkError e) {
            throw missing(e.getMessage());
        } catch (Throwable e) {
            throw new KernelImageException("libzstd failed: " + e, e);
        }
    }

    /** The version of the libzstd in use ("1.5.4"), or why there is none. */
    static String libraryVersion() {
        if (ZstdH.LIBRARY$ERROR != null) {
            return "not loaded (" + ZstdH.LIBRARY$ERROR + ")";
        }
        try {
            return cString((MemorySegment) ZSTD_versionString$mh.invokeExact(capture()));
        } catch (Throwable e) {
            return "unknown (" + e + ")";
        }
    }

    static void requireLibrary() {
        if (ZstdH.LIBRARY$ERROR != null) {
            throw missing(ZstdH.LIBRARY$ERROR);
        }
    }

    private static MissingDecoderException missing(String why) {
        return new MissingDecoderException("a zstd-compressed kernel needs the system's zstd library (libzstd.so.1), "
                + "which could not be loaded: " + why + ". Install it: apt-get install libzstd1 (Debian, Ubuntu), "
                + "dnf install libzstd (Fedora); or point -Djktstr.library.zstd=/path/to/libzstd.so.1 at one", "libzstd1");
    }

    private static void check(long result, MemorySegment dst, MemorySegment errno) throws Throwable {
        if ((int) ZSTD_isError$mh.invokeExact(errno, result) == 0) {
            return;
        }
        int code = (int) ZSTD_getErrorCode$mh.invokeExact(errno, result);
        String name = cString((MemorySegment) ZSTD_getErrorName$mh.invokeExact(errno, result));
        if (code == ZstdH.ZSTD_error_dstSize_tooSmall) {
            throw new KernelImageException(Compression.ZSTD + " kernel payload decompresses to more than the "
                    + dst.byteSize() + " bytes the image records");
        }
        if (code == ZstdH.ZSTD_error_memory_allocation) {
            throw new KernelImageException("libzstd ran out of memory decoding the " + Compression.ZSTD + " kernel payload");
        }
        throw new KernelImageException("corrupt " + Compression.ZSTD + " kernel payload: " + name + " (libzstd error "
                + code + ")");
    }

    private static MemorySegment capture() {
        return Arena.ofAuto().allocate(Linker.Option.captureStateLayout());
    }

    @SuppressWarnings("restricted") // a NUL-terminated string libzstd returns from its static tables
    private static String cString(MemorySegment s) {
        return s.equals(MemorySegment.NULL) ? "?" : s.reinterpret(4096).getString(0);
    }
}
