package dev.jktstr.qemu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find the kernel and QEMU; skips with what is missing and how to get it. */
final class TestGuests {

    private TestGuests() {
    }

    /** The shared test kernel directory: JKTSTR_KERNEL if set, else ../shared/kernels/linux-6.12-sched_ext. */
    static Path kernelDir() {
        String env = System.getenv("JKTSTR_KERNEL");
        Path dir;
        if (env != null && !env.isEmpty()) {
            dir = Path.of(env);
        } else {
            String root = System.getProperty("jktstr.repo.root", ".");
            dir = Path.of(root).toAbsolutePath().normalize().resolveSibling("shared").resolve("kernels/linux-6.12-sched_ext");
        }
        assumeTrue(Files.isDirectory(dir) || Files.isRegularFile(dir),
                "test kernel not found at " + dir + "; set JKTSTR_KERNEL or put the shared kernels beside the repo");
        return dir;
    }

    static Path bzImage() {
        Path dir = kernelDir();
        Path image = Files.isDirectory(dir) ? dir.resolve("bzImage") : dir;
        assumeTrue(Files.isRegularFile(image), "no bzImage in " + dir);
        return image;
    }

    static Path systemMap() {
        Path map = kernelDir().resolve("System.map");
        assumeTrue(Files.isRegularFile(map), "no System.map in " + kernelDir());
        return map;
    }

    static void assumeQemu() {
        assumeTrue(new QemuBackend().findBinary().isPresent(),
                "qemu-system-x86_64 not installed (Debian: apt-get install qemu-system-x86)");
    }

    static QemuBackend tcg() {
        assumeQemu();
        return new QemuBackend(null, QemuBackend.Accel.TCG);
    }
}
