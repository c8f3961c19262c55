package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cgroupfs scripts take names and values as positional parameters: run here in the host's /bin/sh against a plain
 * directory, a value that looks like shell syntax or an echo option is written as it is, and nothing else happens.
 * No guest boots.
 */
class CgroupFsTest {
    private static final Path SH = Path.of("/bin/sh");

    private static int sh(Path cwd, String script, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(SH.toString(), "-c", script, "sh"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).directory(cwd.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    @Test
    void valuesAreWrittenVerbatim(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SH), "no /bin/sh");
        Path cg = Files.createDirectories(dir.resolve("odd name; $(touch pwned)"));
        for (String value : List.of("0-1,3", "-n", "-e \\n", "$(touch pwned)", "`touch pwned`", "x; touch pwned",
                "a'b\"c", "+cpuset +cpu")) {
            assertThat(sh(dir, CgroupFs.WRITE, cg.toString(), "cpuset.cpus", value)).isZero();
            assertThat(Files.readString(cg.resolve("cpuset.cpus"), StandardCharsets.UTF_8)).isEqualTo(value + "\n");
        }
        assertThat(dir.resolve("pwned")).doesNotExist();
        assertThat(cg.resolve("pwned")).doesNotExist();
    }

    @Test
    void clearingCopiesTheParentsEffectiveCpusAndRemovalRemoves(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SH), "no /bin/sh");
        Path parent = Files.createDirectories(dir.resolve("p $(touch pwned)"));
        Files.writeString(parent.resolve("cpuset.cpus.effective"), "0-3\n");
        Path child = Files.createDirectories(parent.resolve("c"));
        assertThat(sh(dir, CgroupFs.INHERIT_CPUS, child.toString())).isZero();
        assertThat(Files.readString(child.resolve("cpuset.cpus"))).isEqualTo("0-3\n");
        Files.delete(child.resolve("cpuset.cpus"));
        assertThat(sh(dir, CgroupFs.RMDIR, child.toString())).isZero();
        assertThat(child).doesNotExist();
        assertThat(dir.resolve("pwned")).doesNotExist();
    }

    @Test
    void onlyUsableNamesBecomePaths() {
        assertThat(CgroupFs.path("cg_0")).isEqualTo("/sys/fs/cgroup/cg_0");
        assertThat(CgroupFs.path("outer/inner.1")).isEqualTo("/sys/fs/cgroup/outer/inner.1");
        for (String bad : List.of("", "..", "a/../b", "a/", "/a", "-x", "a b", "$(x)", "a;b", "a'b")) {
            assertThatThrownBy(() -> CgroupFs.path(bad)).as(bad).isInstanceOf(ScenarioException.class);
        }
        assertThatThrownBy(() -> CgroupFs.path(null)).isInstanceOf(ScenarioException.class);
    }
}
