package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import dev.jktstr.testsupport.TinyElf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jktstr run} with repeated {@code --kernel}: once per kernel, each result file labelled with its kernel. */
class RunKernelMatrixTest {

    @Test
    void aKernelIdThatResolvesToNothingFailsBeforeAnyBootListingWhatItTried(@TempDir Path dir) throws Exception {
        Path k = Files.createDirectories(dir.resolve("k"));
        Files.writeString(k.resolve("bzImage"), "not booted");
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", k.toString(), "--kernel", dir.resolve("nope").toString());
        assertThat(r.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(r.err()).contains("--kernel " + dir.resolve("nope") + " resolves to no kernel; tried:")
                .contains("as a path: " + dir.resolve("nope") + ": no such file or directory")
                .doesNotContain("booting");
        // a scheduler name the first kernel has and the second lacks: refused before the first boot too
        Path a = Files.createDirectories(dir.resolve("a/schedulers"));
        Files.writeString(dir.resolve("a/bzImage"), "not booted");
        Files.write(a.resolve("scx_x"), TinyElf.exiting(0, ""));
        Run noSched = RunCommandTest.jktstr("run", "steady", "--kernel", dir.resolve("a").toString(), "--kernel",
                k.toString(), "--scheduler", "scx_x");
        assertThat(noSched.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(noSched.err()).contains("no scheduler 'scx_x'").contains(k.resolve("bzImage").toString())
                .doesNotContain("booting");
        Run debian = RunCommandTest.jktstr("run", "steady", "--kernel", "debian:six");
        assertThat(debian.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(debian.err()).contains("debian:MAJOR.MINOR");
        // commands that boot one kernel refuse a second
        Run inspect = RunCommandTest.jktstr("inspect", "--kernel", k.toString(), "--kernel", k.toString());
        assertThat(inspect.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(inspect.err()).contains("--kernel given 2 times");
    }

    @Test
    void resultNamesCarryReleaseAndConfigHashAndNeverCollide(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config"), "CONFIG_A=y\n");
        KernelImage k = new KernelImage(dir.resolve("bzImage"), Optional.empty(), Optional.of(dir.resolve("config")),
                Optional.empty(), "t");
        String hash = k.configHash().orElseThrow();
        KernelRuns labelled = new KernelRuns(true);
        assertThat(labelled.resultFile(dir.resolve("r.json"), "steady-eevdf", "T", "6.12.0 #1", k))
                .isEqualTo(dir.resolve("r-6.12.0__1-" + hash + ".json"));
        assertThat(labelled.resultFile(dir.resolve("r.json"), "steady-eevdf", "T", "6.12.0 #1", k))
                .isEqualTo(dir.resolve("r-6.12.0__1-" + hash + "-2.json"));
        assertThat(labelled.resultFile(null, "steady-eevdf", "T", "6.12.0", k))
                .isEqualTo(Path.of("jktstr-results", "steady-eevdf-6.12.0-" + hash + "-T.json"));
        // one kernel: the names as before
        assertThat(new KernelRuns(false).resultFile(null, "steady-eevdf", "T", "6.12.0", k))
                .isEqualTo(Path.of("jktstr-results", "steady-eevdf-T.json"));
    }

    /** The shared kernel twice, as its directory and as its image: two runs, two labelled result files. */
    @BootsVm
    @Test
    void runsOncePerKernelWithLabelledResults(@TempDir Path dir) throws Exception {
        Path kernelDir = SharedAssets.requireKernelDir();
        Path image = SharedAssets.requireBzImage();
        HostProgram.require("qemu-system-x86_64", "apt-get install qemu-system-x86");
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", kernelDir.toString(), "--kernel", image.toString(),
                "--topology", "1,1,2,1", "--memory", "256", "--duration", "2s", "--output", dir.resolve("r.json").toString());
        System.out.println(r.err() + r.out());
        // a busy TCG host may make a run INCONCLUSIVE; a FAIL or a refusal is a bug here
        assertThat(r.exit()).as(r.err() + r.out()).isIn(0, 3);
        assertThat(r.err()).contains("kernel 1 of 2: " + kernelDir).contains("kernel 2 of 2: " + image);
        List<Path> results;
        try (Stream<Path> s = Files.list(dir)) {
            results = s.filter(p -> p.getFileName().toString().matches("r-.*\\.json")
                    && !p.getFileName().toString().contains("failure-dump")).sorted().toList();
        }
        assertThat(results).hasSize(2);
        assertThat(r.out()).contains("kernels: 2, worst outcome ");
        Pattern name = Pattern.compile("r-(.+)-([0-9a-f]{12})(-2)?\\.json");
        String release = null;
        for (Path p : results) {
            Matcher m = name.matcher(p.getFileName().toString());
            assertThat(m.matches()).as(p.toString()).isTrue();
            String json = Files.readString(p);
            // the label is what the guest reported (uname -r) and the config the run booted
            assertThat(json).contains("\"release\" : \"" + m.group(1) + "\"").contains("\"configHash\" : \"" + m.group(2) + "\"");
            assertThat(release == null || release.equals(m.group(1))).isTrue();
            release = m.group(1);
        }
        // the shared kernel's release, from its own build record (independent of the guest and of our hashing)
        assertThat(Files.readString(kernelDir.resolve("BUILD-INFO"))).contains(release);
    }
}
