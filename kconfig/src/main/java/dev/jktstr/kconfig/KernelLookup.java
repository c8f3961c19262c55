package dev.jktstr.kconfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the kernel to boot. The chain, first hit wins:
 * <ol>
 *   <li>{@code JKTSTR_KERNEL}: a kernel directory or an image path (a miss here is an error, not a fall-through);</li>
 *   <li>the user cache {@code $XDG_CACHE_HOME/jktstr/kernels} (default {@code ~/.cache}): entries built from this
 *       version's {@code jktstr.kconfig} first, then the newest;</li>
 *   <li>{@code ./linux}, then {@code ../linux}: a built source tree or a kernel directory;</li>
 *   <li>{@code /boot/vmlinuz-$(uname -r)}, with {@code System.map-*} and {@code config-*} beside it.</li>
 * </ol>
 * A kernel directory holds {@code bzImage} (or {@code arch/x86/boot/bzImage} in a source tree, or a
 * {@code vmlinuz*}), {@code System.map}, {@code config} (or {@code .config}) and optionally {@code vmlinux}.
 */
public final class KernelLookup {

    private final String kernelEnv;
    private final Path cacheDir;
    private final Path workDir;
    private final Path bootDir;
    private final String release;

    KernelLookup(String kernelEnv, Path cacheDir, Path workDir, Path bootDir, String release) {
        this.kernelEnv = kernelEnv == null || kernelEnv.isEmpty() ? null : kernelEnv;
        this.cacheDir = cacheDir;
        this.workDir = workDir;
        this.bootDir = bootDir;
        this.release = release;
    }

    /** The chain for this process: its environment, home, working directory and running kernel. */
    public static KernelLookup standard() {
        // The one place JKTSTR_KERNEL is read.
        String env = System.getenv("JKTSTR_KERNEL");
        return new KernelLookup(env, KernelCache.defaultRoot(), Path.of("").toAbsolutePath(), Path.of("/boot"),
                runningRelease());
    }

    private static String runningRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** The first kernel along the chain. */
    public KernelImage find() {
        List<String> tried = new ArrayList<>();
        if (kernelEnv != null) {
            return resolve(kernelEnv, "JKTSTR_KERNEL");
        }
        tried.add("JKTSTR_KERNEL: not set");
        Optional<KernelImage> cached = newestInCache(tried);
        if (cached.isPresent()) {
            return cached.get();
        }
        for (Path tree : List.of(workDir.resolve("linux"), workDir.resolve("../linux").normalize())) {
            Optional<KernelImage> k = tryDirectory(tree, tree.toString(), tried);
            if (k.isPresent()) {
                return k.get();
            }
        }
        Path boot = bootDir.resolve("vmlinuz-" + release);
        if (Files.isRegularFile(boot) && Files.isReadable(boot)) {
            return fromImage(boot, "/boot");
        }
        tried.add(boot + ": " + (Files.exists(boot) ? "not readable" : "no such file"));
        throw new KernelNotFoundException("no kernel found", tried);
    }

    /**
     * A kernel from an explicit path: a kernel directory (or built source tree) or an image file.
     * The {@code --kernel} option and {@code JKTSTR_KERNEL} go through here.
     */
    public static KernelImage resolve(String dirOrImage) {
        return resolve(dirOrImage, dirOrImage);
    }

    static KernelImage resolve(String dirOrImage, String origin) {
        Path p = Path.of(dirOrImage).toAbsolutePath().normalize();
        List<String> tried = new ArrayList<>();
        if (Files.isRegularFile(p)) {
            if (!Files.isReadable(p)) {
                throw new KernelNotFoundException("kernel image " + p + " (from " + origin + ") is not readable", List.of(p + ": not readable"));
            }
            return fromImage(p, origin);
        }
        Optional<KernelImage> k = tryDirectory(p, origin, tried);
        return k.orElseThrow(() -> new KernelNotFoundException("no kernel at " + dirOrImage + " (from " + origin + ")", tried));
    }

    private Optional<KernelImage> newestInCache(List<String> tried) {
        if (!Files.isDirectory(cacheDir)) {
            tried.add(cacheDir + ": no such directory");
            return Optional.empty();
        }
        List<Path> entries;
        // Entries built from this version's jktstr.kconfig first, then the newest.
        String currentFragment = ConfigFragment.shipped().hash();
        Comparator<Path> preference = Comparator.comparing((Path p) -> !builtFrom(p, currentFragment))
                .thenComparing(Comparator.comparing(KernelLookup::modified).reversed());
        try (Stream<Path> s = Files.list(cacheDir)) {
            entries = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted(preference).toList();
        } catch (IOException e) {
            tried.add(cacheDir + ": unreadable (" + e.getMessage() + ")");
            return Optional.empty();
        }
        if (entries.isEmpty()) {
            tried.add(cacheDir + ": empty");
        }
        for (Path entry : entries) {
            Optional<KernelImage> k = tryDirectory(entry, "cache " + entry.getFileName(), tried);
            if (k.isPresent()) {
                return k;
            }
        }
        return Optional.empty();
    }

    private static boolean builtFrom(Path entry, String fragmentHash) {
        Path metadata = entry.resolve(CacheEntry.METADATA);
        try {
            return Files.isRegularFile(metadata) && KernelMetadata.read(metadata).fragmentHash().equals(fragmentHash);
        } catch (KconfigException e) {
            return false;
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static Optional<KernelImage> tryDirectory(Path dir, String origin, List<String> tried) {
        if (!Files.isDirectory(dir)) {
            tried.add(dir + ": no such directory");
            return Optional.empty();
        }
        Optional<Path> image = firstFile(dir.resolve("bzImage"), dir.resolve("arch/x86/boot/bzImage"));
        if (image.isEmpty()) {
            try (Stream<Path> s = Files.list(dir)) {
                image = s.filter(f -> f.getFileName().toString().startsWith("vmlinuz") && Files.isRegularFile(f))
                        .sorted().findFirst();
            } catch (IOException e) {
                tried.add(dir + ": unreadable (" + e.getMessage() + ")");
                return Optional.empty();
            }
        }
        if (image.isEmpty()) {
            tried.add(dir + ": no bzImage, arch/x86/boot/bzImage or vmlinuz*");
            return Optional.empty();
        }
        return Optional.of(new KernelImage(image.get(), firstFile(dir.resolve("System.map")),
                firstFile(dir.resolve("config"), dir.resolve(".config")), firstFile(dir.resolve("vmlinux")), origin));
    }

    /** An image file alone: look beside it for the kernel-directory names and the /boot names. */
    private static KernelImage fromImage(Path image, String origin) {
        Path dir = image.toAbsolutePath().getParent();
        String name = image.getFileName().toString();
        String suffix = name.startsWith("vmlinuz-") ? name.substring("vmlinuz".length()) : null;
        Optional<Path> map = suffix != null ? firstFile(dir.resolve("System.map" + suffix), dir.resolve("System.map"))
                : firstFile(dir.resolve("System.map"));
        Optional<Path> config = suffix != null ? firstFile(dir.resolve("config" + suffix), dir.resolve("config"))
                : firstFile(dir.resolve("config"), dir.resolve(".config"));
        Optional<Path> vmlinux = suffix != null ? firstFile(dir.resolve("vmlinux" + suffix), dir.resolve("vmlinux"))
                : firstFile(dir.resolve("vmlinux"));
        if (dir.endsWith(Path.of("arch/x86/boot"))) {
            Path tree = dir.getParent().getParent().getParent();
            map = map.or(() -> firstFile(tree.resolve("System.map")));
            config = config.or(() -> firstFile(tree.resolve(".config")));
            vmlinux = vmlinux.or(() -> firstFile(tree.resolve("vmlinux")));
        }
        return new KernelImage(image, map, config, vmlinux, origin);
    }

    private static Optional<Path> firstFile(Path... candidates) {
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
