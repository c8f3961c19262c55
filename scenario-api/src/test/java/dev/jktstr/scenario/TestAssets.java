package dev.jktstr.scenario;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The shared test kernel and schedulers (../shared beside the repo); skips with what is missing. */
final class TestAssets {
    private TestAssets() {
    }

    static Path shared() {
        return Path.of(System.getProperty("jktstr.repo.root", ".")).toAbsolutePath().normalize().resolveSibling("shared");
    }

    static Path kernelDir() {
        Path dir = shared().resolve("kernels/linux-6.12-sched_ext");
        assumeTrue(Files.isRegularFile(dir.resolve("bzImage")), "no test kernel at " + dir
                + " (put the shared kernels beside the repo)");
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 not installed (Debian: apt-get install qemu-system-x86)");
        return dir;
    }

    static Path scxSimple() {
        Path p = shared().resolve("schedulers/scx_simple");
        assumeTrue(Files.isRegularFile(p), "no scheduler at " + p);
        return p;
    }

    static Path scxQmap() {
        Path p = shared().resolve("schedulers/scx_qmap");
        assumeTrue(Files.isRegularFile(p), "no scheduler at " + p);
        return p;
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, program)));
    }

    static Vm.Builder vm() {
        return Vm.builder().kernel(kernelDir()).topology(1, 1, 2, 1).memoryMib(256).duration(java.time.Duration.ofSeconds(3));
    }
}
