package dev.jktstr.btf.image;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.btf.TestEnv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian kernel packages for the distro-kernel tests, fetched with {@code apt-get download} once and
 * cached under {@code $XDG_CACHE_HOME/jktstr/distro-kernels} (default {@code ~/.cache/jktstr/distro-kernels}).
 *
 * <p>A spec is a Debian metapackage ({@code linux-image-amd64}); it resolves, through {@code apt-cache
 * depends} (which reads the local package lists, no network), to the kernel package it depends on now
 * ({@code linux-image-6.1.0-57-amd64}). From that package the cache keeps {@code vmlinuz}, {@code config}
 * and Debian's placeholder {@code System.map}; from its {@code -dbg} package (300–900 MB, downloaded,
 * read up to the file and deleted) only the real {@code System.map}. Each kernel lives in
 * {@code <package>_<version>/}, moved into place when complete; older versions of the same spec are
 * removed. Without apt, the package lists or the network, a test skips saying so; when the current
 * version cannot be fetched but an older one is cached, that one is used.
 */
final class DistroKernels {
    /** The kernel {@code linux-image-amd64} installs today, and Debian 12's 6.12 cloud kernel (zstd). */
    static final List<String> DEFAULT_SPECS = List.of("linux-image-amd64", "linux-image-6.12-cloud-amd64");

    private static final Map<String, Kernel> FETCHED = new HashMap<>();
    private static final long DOWNLOAD_TIMEOUT_MIN = 20;

    /** One cached kernel package. */
    record Kernel(String spec, String pkg, String version, String release, Path dir) {
        Path vmlinuz() {
            return dir.resolve("vmlinuz");
        }

        Path config() {
            return dir.resolve("config");
        }

        /** Debian's one-line placeholder from the image package's {@code /boot}. */
        Path placeholderSystemMap() {
            return dir.resolve("System.map.placeholder");
        }

        /** The real System.map from the -dbg package, if it could be fetched. */
        Optional<Path> systemMap() {
            Path p = dir.resolve("System.map");
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        }

        /** Why {@link #systemMap()} is empty (the -dbg fetch's error), or "". */
        String systemMapMissingReason() {
            try {
                Path p = dir.resolve("System.map.missing");
                return Files.isRegularFile(p) ? Files.readString(p) : "";
            } catch (IOException e) {
                return e.toString();
            }
        }

        /** The {@code CONFIG_KERNEL_*} compression the package's config selects. */
        Compression configuredCompression() throws IOException {
            for (String line : Files.readAllLines(config())) {
                Matcher m = Pattern.compile("CONFIG_KERNEL_(GZIP|BZIP2|LZMA|XZ|LZO|LZ4|ZSTD)=y").matcher(line);
                if (m.matches()) {
                    return Compression.valueOf(m.group(1));
                }
            }
            throw new AssertionError("no CONFIG_KERNEL_<compression>=y in " + config());
        }

        @Override
        public String toString() {
            return pkg + " " + version;
        }
    }

    private DistroKernels() {}

    /** {@code -Djktstr.distroKernels=a,b} or {@code JKTSTR_DISTRO_KERNELS}, else {@link #DEFAULT_SPECS}. */
    static List<String> specs() {
        String s = System.getProperty("jktstr.distroKernels", System.getenv().getOrDefault("JKTSTR_DISTRO_KERNELS", ""));
        return s.isBlank() ? DEFAULT_SPECS : List.of(s.strip().split("\\s*,\\s*"));
    }

    static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("jktstr").resolve("distro-kernels");
    }

    /** The cached kernel for {@code spec}, fetching it first if needed; skips the test when that cannot be done. */
    static synchronized Kernel require(String spec) {
        Kernel k = FETCHED.get(spec);
        if (k == null) {
            k = fetch(spec);
            FETCHED.put(spec, k);
        }
        return k;
    }

    private static Kernel fetch(String spec) {
        Path root = cacheRoot();
        assumeTrue(HostProgram.present("apt-cache") || !cached(root, spec).isEmpty(),
                "distro kernel " + spec + ": apt-cache not found and nothing cached in " + root
                        + " (these tests need a Debian or Ubuntu host with apt)");
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (FileChannel lockFile = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            Resolved r = resolve(spec);
            if (r.error != null) {
                return fallback(root, spec, r.error);
            }
            Path dir = root.resolve(r.pkg + "_" + r.version.replace(':', '_'));
            if (Files.isRegularFile(dir.resolve("package"))) {
                return read(dir);
            }
            String error = download(root, spec, r.pkg, r.version, dir);
            if (error != null) {
                return fallback(root, spec, error);
            }
            for (Kernel old : cached(root, spec)) {
                if (!old.dir().equals(dir)) {
                    deleteTree(old.dir());
                }
            }
            return read(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("distro kernel cache " + root + ": " + e.getMessage(), e);
        }
    }

    private record Resolved(String pkg, String version, String error) {}

    /** The package {@code spec} depends on and its candidate version, from the local lists. */
    private static Resolved resolve(String spec) {
        if (!HostProgram.present("apt-cache")) {
            return new Resolved(null, null, "apt-cache not found");
        }
        Result depends = exec(List.of("apt-cache", "depends", "--important", spec), null, 60);
        String pkg = spec;
        Matcher m = Pattern.compile("(?m)^\\s+Depends: (linux-image-\\S+)$").matcher(depends.out);
        if (depends.rc == 0 && m.find()) {
            pkg = m.group(1);
        } else if (depends.rc != 0) {
            return new Resolved(null, null, "apt-cache depends " + spec + " failed (run apt-get update?): " + depends.tail());
        }
        Result policy = exec(List.of("apt-cache", "policy", pkg), null, 60);
        Matcher v = Pattern.compile("(?m)^\\s+Candidate: (\\S+)$").matcher(policy.out);
        if (policy.rc != 0 || !v.find() || v.group(1).equals("(none)")) {
            return new Resolved(null, null, "apt has no candidate for " + pkg + " (run apt-get update?)");
        }
        return new Resolved(pkg, v.group(1), null);
    }

    private static Kernel fallback(Path root, String spec, String error) {
        List<Kernel> cached = cached(root, spec);
        assumeTrue(!cached.isEmpty(), "distro kernel " + spec + " cannot be fetched and none is cached in " + root
                + ": " + error);
        Kernel k = cached.getFirst();
        System.err.println("distro kernel " + spec + ": " + error + "; using the cached " + k);
        return k;
    }

    /** Downloads and unpacks {@code pkg} (and its -dbg package's System.map) into {@code dir}; returns an error or null. */
    private static String download(Path root, String spec, String pkg, String version, Path dir) throws IOException {
        if (!HostProgram.present("apt-get") || !HostProgram.present("dpkg-deb") || !HostProgram.present("tar")) {
            return "apt-get, dpkg-deb or tar not found";
        }
        Path staging = Files.createTempDirectory(root, "fetch-");
        try {
            System.err.println("distro kernel " + spec + ": apt-get download " + pkg + "=" + version + " into " + root);
            Result get = exec(List.of("apt-get", "download", pkg + "=" + version), staging, DOWNLOAD_TIMEOUT_MIN * 60);
            Optional<Path> deb = debIn(staging);
            if (get.rc != 0 || deb.isEmpty()) {
                return "apt-get download " + pkg + "=" + version + " failed: " + get.tail();
            }
            Path unpacked = Files.createDirectories(staging.resolve("unpacked"));
            Result x = exec(List.of("dpkg-deb", "-x", deb.get().toString(), unpacked.toString()), null, 300);
            if (x.rc != 0) {
                return "dpkg-deb -x " + deb.get().getFileName() + " failed: " + x.tail();
            }
            Files.delete(deb.get());
            Path boot = unpacked.resolve("boot");
            Path vmlinuz = only(boot, "vmlinuz-");
            String release = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
            Path kernel = Files.createDirectories(staging.resolve("kernel"));
            Files.move(vmlinuz, kernel.resolve("vmlinuz"));
            Files.move(only(boot, "config-"), kernel.resolve("config"));
            Files.move(only(boot, "System.map-"), kernel.resolve("System.map.placeholder"));
            deleteTree(unpacked);

            String mapError = systemMapFromDbg(staging, pkg + "-dbg", version, release, kernel.resolve("System.map"));
            if (mapError != null) {
                System.err.println("distro kernel " + spec + ": no System.map: " + mapError);
                Files.writeString(kernel.resolve("System.map.missing"), mapError);
            }
            Files.writeString(kernel.resolve("package"), String.join("\n", spec, pkg, version, release) + "\n");
            Files.move(kernel, dir, StandardCopyOption.ATOMIC_MOVE);
            return null;
        } finally {
            deleteTree(staging);
        }
    }

    /** Fetches the -dbg package and keeps only /usr/lib/debug/boot/System.map-RELEASE (read with tar, which stops there). */
    private static String systemMapFromDbg(Path staging, String dbg, String version, String release, Path target)
            throws IOException {
        Path dir = Files.createDirectories(staging.resolve("dbg"));
        Result get = exec(List.of("apt-get", "download", dbg + "=" + version), dir, DOWNLOAD_TIMEOUT_MIN * 60);
        Optional<Path> deb = debIn(dir);
        if (get.rc != 0 || deb.isEmpty()) {
            return "apt-get download " + dbg + "=" + version + " failed: " + get.tail();
        }
        Path part = target.resolveSibling("System.map.part");
        // tar exits once it has the member (--occurrence=1), so dpkg-deb may end on SIGPIPE: judge by the file.
        exec(List.of("bash", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -x -O --occurrence=1 \"$2\" > \"$3\"", "sh",
                deb.get().toString(), "./usr/lib/debug/boot/System.map-" + release, part.toString()), null, 600);
        Files.delete(deb.get());
        if (!Files.isRegularFile(part) || Files.size(part) < 100_000) {
            return dbg + " has no /usr/lib/debug/boot/System.map-" + release;
        }
        Files.move(part, target);
        return null;
    }

    private static Optional<Path> debIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst();
        }
    }

    private static Path only(Path dir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
            if (found.size() != 1) {
                throw new IOException("expected one " + prefix + "* in the package's /boot, found " + found);
            }
            return found.getFirst();
        }
    }

    /** Complete cached kernels of {@code spec}, newest first. */
    private static List<Kernel> cached(Path root, String spec) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Kernel> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path dir : s.filter(p -> Files.isRegularFile(p.resolve("package"))).toList()) {
                Kernel k = read(dir);
                if (k.spec().equals(spec)) {
                    out.add(k);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparing((Kernel k) -> lastModified(k.dir())).reversed());
        return out;
    }

    private static long lastModified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static Kernel read(Path dir) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("package"), StandardCharsets.UTF_8);
            return new Kernel(lines.get(0), lines.get(1), lines.get(2), lines.get(3), dir);
        } catch (IOException | IndexOutOfBoundsException e) {
            throw new IllegalStateException("unreadable cache entry " + dir + ": " + e, e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    private record Result(int rc, String out) {
        String tail() {
            String t = out.strip();
            return t.length() > 400 ? "..." + t.substring(t.length() - 400) : t;
        }
    }

    private static Result exec(List<String> cmd, Path cwd, long timeoutSeconds) {
        try {
            Path log = Files.createTempFile("jktstr-distro", ".log");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                if (cwd != null) {
                    pb.directory(cwd.toFile());
                }
                Process p = pb.start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor();
                    return new Result(124, "timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd));
                }
                return new Result(p.exitValue(), new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            return new Result(127, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(130, "interrupted");
        }
    }
}
