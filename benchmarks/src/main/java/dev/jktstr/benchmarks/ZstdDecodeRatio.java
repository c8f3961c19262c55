package dev.jktstr.benchmarks;

import dev.jktstr.btf.image.BzImage;
import dev.jktstr.btf.image.Compression;
import dev.jktstr.machine.HostTools;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Decoding a zstd kernel payload: ours ({@link BzImage#decompress}, the system's libzstd through the
 * generated FFM bindings, into native memory) against {@code zstd -dc --long=31 payload > /dev/null},
 * alternating in the same run on the same payload. Target: ours ≤ 1.5 × zstd.
 *
 * <p>The payload: a zstd bzImage given as the argument; else the first one in the distro-kernel test
 * cache ({@code ~/.cache/jktstr/distro-kernels}, Debian 12's 6.12 cloud kernel, {@code zstd -22 --ultra}
 * with a 128 MiB window); else the shared kernel's vmlinux compressed here as the kernel build does
 * ({@code zstd -22 --ultra} from a pipe; slow, once, kept in {@code benchmarks/target}).
 *
 * <p>Ours includes allocating and faulting in the output; zstd's includes starting the process. Both
 * read a file in the page cache. Usage: {@code ZstdDecodeRatio [bzImage] [rounds]}.
 */
public final class ZstdDecodeRatio {

    private ZstdDecodeRatio() {}

    public static void main(String[] args) throws Exception {
        if (HostTools.onPath().find("zstd").isEmpty()) {
            System.err.println("zstd benchmark skipped: the zstd tool (the peer) is not installed: apt-get install zstd");
            System.exit(2);
        }
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Path work = Files.createTempDirectory("jktstr-zstd-bench");
        try (Arena mapping = Arena.ofConfined()) {
            Payload p = payload(args.length > 0 && !args[0].isEmpty() ? Path.of(args[0]) : null, work, mapping);
            Path file = work.resolve("payload.zst");
            Files.write(file, p.stream().toArray(ValueLayout.JAVA_BYTE));
            System.out.printf("payload: %s, %d bytes of zstd -> %d bytes%n", p.origin(), p.stream().byteSize(), p.size());
            List<String> zstd = List.of("zstd", "-dc", "--long=31", "-q", file.toString());

            for (int i = 0; i < 3; i++) { // warm-up: class init, JIT, page cache
                ours(p);
                theirs(zstd);
            }
            long[] ours = new long[rounds];
            long[] theirs = new long[rounds];
            for (int i = 0; i < rounds; i++) { // alternating, so drift in the machine's load hits both alike
                if (i % 2 == 0) {
                    ours[i] = ours(p);
                    theirs[i] = theirs(zstd);
                } else {
                    theirs[i] = theirs(zstd);
                    ours[i] = ours(p);
                }
            }
            Arrays.sort(ours);
            Arrays.sort(theirs);
            double oursMedian = ours[rounds / 2] / 1e6;
            double theirsMedian = theirs[rounds / 2] / 1e6;
            System.out.printf("ours (libzstd via FFM, one-shot into native memory): median %.1f ms, best %.1f ms, %.0f MB/s%n",
                    oursMedian, ours[0] / 1e6, p.size() / 1e6 / (oursMedian / 1e3));
            System.out.printf("zstd -dc --long=31 > /dev/null (process included):    median %.1f ms, best %.1f ms, %.0f MB/s%n",
                    theirsMedian, theirs[0] / 1e6, p.size() / 1e6 / (theirsMedian / 1e3));
            System.out.printf("ratio ours/zstd: %.2f median, %.2f best (target <= 1.5), %d alternating rounds%n",
                    oursMedian / theirsMedian, (double) ours[0] / theirs[0], rounds);
        } finally {
            try (Stream<Path> s = Files.list(work)) {
                for (Path f : s.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(work);
        }
    }

    /** The zstd stream without the size trailer, the size the trailer records, where it came from. */
    record Payload(MemorySegment withTrailer, long size, String origin) {
        MemorySegment stream() {
            return withTrailer.asSlice(0, withTrailer.byteSize() - 4);
        }
    }

    private static long ours(Payload p) {
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = BzImage.decompress(p.withTrailer(), Compression.ZSTD, p.size(), arena);
            if (out.byteSize() != p.size()) {
                throw new IllegalStateException("decoded " + out.byteSize() + " bytes, expected " + p.size());
            }
        }
        return System.nanoTime() - t0;
    }

    private static long theirs(List<String> cmd) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process proc = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (proc.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + proc.exitValue());
        }
        return System.nanoTime() - t0;
    }

    private static Payload payload(Path given, Path work, Arena arena) throws Exception {
        Optional<Path> image = Optional.ofNullable(given);
        if (image.isEmpty()) {
            image = cachedDistroKernel(arena);
        }
        if (image.isPresent()) {
            MemorySegment bz = map(image.get(), arena);
            if (BzImage.compression(bz) != Compression.ZSTD) {
                throw new IllegalArgumentException(image.get() + " is a " + BzImage.compression(bz) + " bzImage, not zstd");
            }
            MemorySegment p = BzImage.payload(bz);
            return new Payload(p, Integer.toUnsignedLong(p.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    p.byteSize() - 4)), image.get().toString());
        }
        Path vmlinux = BtfBenchmark.vmlinux();
        Path made = Path.of(System.getProperty("jktstr.repo.root", "."), "benchmarks", "target", "vmlinux.zst");
        if (!Files.isRegularFile(made) || Files.getLastModifiedTime(made).compareTo(Files.getLastModifiedTime(vmlinux)) < 0) {
            System.out.println("no zstd bzImage given or cached: compressing " + vmlinux
                    + " with zstd -22 --ultra from a pipe, as the kernel build does (once; a minute or two)");
            Files.createDirectories(made.getParent());
            Process z = new ProcessBuilder("zstd", "-22", "--ultra", "-q", "-c").redirectInput(vmlinux.toFile())
                    .redirectOutput(made.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (z.waitFor() != 0) {
                throw new IOException("zstd -22 --ultra exited " + z.exitValue());
            }
        }
        byte[] z = Files.readAllBytes(made);
        MemorySegment p = arena.allocate(z.length + 4L);
        MemorySegment.copy(z, 0, p, ValueLayout.JAVA_BYTE, 0, z.length);
        p.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), z.length, (int) Files.size(vmlinux));
        return new Payload(p, Files.size(vmlinux), made + " (" + vmlinux + ", zstd -22 --ultra)");
    }

    /** The first zstd vmlinuz the distro-kernel tests cached. */
    private static Optional<Path> cachedDistroKernel(Arena arena) throws IOException {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        Path root = base.resolve("jktstr").resolve("distro-kernels");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path v : s.map(d -> d.resolve("vmlinuz")).filter(Files::isRegularFile).sorted().toList()) {
                try {
                    if (BzImage.compression(map(v, arena)) == Compression.ZSTD) {
                        found.add(v);
                    }
                } catch (RuntimeException e) {
                    // not a bzImage we can read: skip it
                }
            }
        }
        return found.stream().findFirst();
    }

    private static MemorySegment map(Path p, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }
}
