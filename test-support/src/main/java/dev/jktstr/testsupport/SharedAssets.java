package dev.jktstr.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one place tests find the shared test kernel and schedulers: {@code ../shared} beside the repository
 * root (system property {@code jktstr.repo.root}, set by Surefire), the kernel overridable with
 * {@code JKTSTR_KERNEL} (a kernel directory or a bzImage). Each {@code require…} skips the test with what is
 * missing and how to get it; each {@code find…} returns empty instead.
 */
public final class SharedAssets {

    /** The kernel the suite boots: our 6.12 build with sched_ext, BTF and System.map. */
    public static final String KERNEL_NAME = "linux-6.12-sched_ext";

    private SharedAssets() {
    }

    /** The repository root (where the reactor runs), absolute. */
    public static Path repoRoot() {
        return Path.of(System.getProperty("jktstr.repo.root", ".")).toAbsolutePath().normalize();
    }

    /** {@code shared/} beside the repository root. */
    public static Path sharedDir() {
        return repoRoot().resolveSibling("shared");
    }

    /** {@code JKTSTR_KERNEL} if set, else {@code shared/kernels/linux-6.12-sched_ext}; not checked. */
    public static Path kernelLocation() {
        String env = System.getenv("JKTSTR_KERNEL");
        return env != null && !env.isBlank() ? Path.of(env).toAbsolutePath().normalize()
                : sharedDir().resolve("kernels").resolve(KERNEL_NAME);
    }

    /** The kernel's directory: {@link #kernelLocation()}, or the directory of the image it names; not checked. */
    private static Path kernelDirLocation() {
        Path location = kernelLocation();
        return Files.isRegularFile(location) ? location.getParent() : location;
    }

    /** The kernel directory, or a skip. A {@code JKTSTR_KERNEL} naming a bzImage file gives its directory. */
    public static Path requireKernelDir() {
        Path dir = kernelDirLocation();
        assumeTrue(Files.isDirectory(dir), "test kernel not found at " + kernelLocation()
                + "; set JKTSTR_KERNEL or put the shared kernels beside the repository (../shared/kernels/" + KERNEL_NAME + ")");
        return dir;
    }

    /** The kernel's bzImage, or a skip. */
    public static Path requireBzImage() {
        Path location = kernelLocation();
        if (Files.isRegularFile(location)) {
            return location;
        }
        return requireKernelFile("bzImage");
    }

    /** A file of the kernel directory ({@code vmlinux}, {@code System.map}, {@code .config}), or a skip. */
    public static Path requireKernelFile(String name) {
        Path file = requireKernelDir().resolve(name);
        assumeTrue(Files.isReadable(file), "the test kernel has no " + name + " (looked at " + file + ")");
        return file;
    }

    /** A file of the kernel directory, if readable. */
    public static Optional<Path> findKernelFile(String name) {
        Path file = kernelDirLocation().resolve(name);
        return Files.isReadable(file) ? Optional.of(file) : Optional.empty();
    }

    /** A static scheduler binary of {@code shared/schedulers} ({@code scx_simple}, {@code scx_qmap}), if there. */
    public static Optional<Path> findScheduler(String name) {
        Path p = sharedDir().resolve("schedulers").resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** A scheduler binary, or a skip. */
    public static Path requireScheduler(String name) {
        Optional<Path> p = findScheduler(name);
        assumeTrue(p.isPresent(), "scheduler " + name + " not found in " + sharedDir().resolve("schedulers")
                + " (put the shared schedulers beside the repository)");
        return p.get();
    }
}
