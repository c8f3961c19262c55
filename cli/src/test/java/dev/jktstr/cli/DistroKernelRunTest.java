package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.cli.RunCommandTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real distro kernel, not the one we built: Debian's 6.12 cloud kernel (zstd bzImage, virtio console
 * and PCI built in, no sched_ext, no vmlinux — its BTF is read from the image itself) runs the steady
 * scenario under EEVDF, {@code jktstr inspect} reads its runqueues out of guest memory, and asking for
 * a sched_ext scheduler is refused before boot. The package is fetched by bpf-btf's DistroKernelTest
 * into {@code ~/.cache/jktstr/distro-kernels}, which runs earlier in the build.
 */
@BootsVm
class DistroKernelRunTest {

    @TempDir
    static Path kernelDir;

    @BeforeAll
    static void kernel() throws IOException {
        Path cache = Path.of(System.getProperty("user.home"), ".cache/jktstr/distro-kernels");
        Optional<Path> cloud = Optional.empty();
        if (Files.isDirectory(cache)) {
            try (Stream<Path> s = Files.list(cache)) {
                cloud = s.filter(p -> p.getFileName().toString().matches("linux-image-6\\.12.*cloud-amd64.*"))
                        .filter(p -> Files.isRegularFile(p.resolve("vmlinuz")) && Files.isRegularFile(p.resolve("System.map")))
                        .findFirst();
            }
        }
        assumeTrue(cloud.isPresent(), "no Debian 6.12 cloud kernel in " + cache + " (bpf-btf's DistroKernelTest fetches it "
                + "with apt-get download)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "QEMU missing (apt-get install qemu-system-x86)");
        Files.createSymbolicLink(kernelDir.resolve("bzImage"), cloud.get().resolve("vmlinuz"));
        Files.createSymbolicLink(kernelDir.resolve("System.map"), cloud.get().resolve("System.map"));
        Files.createSymbolicLink(kernelDir.resolve("config"), cloud.get().resolve("config"));
    }

    @Test
    void steadyPassesUnderEevdfOnADistroKernel() {
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", kernelDir.toString(), "--backend", "qemu",
                "--topology", "1,1,2,1", "--memory", "256", "--duration", "3s", "--output", kernelDir.resolve("r.json").toString());
        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        assertThat(r.err()).contains("6.12.117");
        assertThat(r.out()).contains("verdict: PASS");
    }

    @Test
    void inspectReadsTheRunqueuesAndSaysThereIsNoSchedExt() {
        Run r = RunCommandTest.jktstr("inspect", "--kernel", kernelDir.toString(), "--backend", "qemu", "--topology", "1,1,2,1",
                "--memory", "256");
        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("this kernel has no sched_ext").containsPattern("cpu0 +nr_running=\\d+ clock=\\d+")
                .containsPattern("cpu1 +nr_running=\\d+");
    }

    @Test
    void aSchedExtSchedulerIsRefusedBeforeBoot() {
        Path scheduler = Path.of(System.getProperty("jktstr.repo.root", ".")).toAbsolutePath().normalize()
                .resolveSibling("shared").resolve("schedulers/scx_simple");
        assumeTrue(Files.isRegularFile(scheduler), "no scx_simple at " + scheduler);
        Run r = RunCommandTest.jktstr("inspect", "--kernel", kernelDir.toString(), "--backend", "qemu", "--scheduler",
                scheduler.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("has no sched_ext");
        assertThat(r.err()).doesNotContain("booted");
    }
}
