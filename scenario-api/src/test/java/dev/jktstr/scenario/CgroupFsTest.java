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

    private static String shOut(Path cwd, String script, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(SH.toString(), "-c", script, "sh"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).directory(cwd.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return out;
    }

    @Test
    void knobsEnableTheirControllerDownTheTreeWriteVerbatimAndReadBack(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SH), "no /bin/sh");
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io pids\n");
        Files.writeString(root.resolve("cgroup.subtree_control"), "cpuset cpu\n");
        Path parent = Files.createDirectories(root.resolve("p"));
        Files.writeString(parent.resolve("cgroup.controllers"), "cpuset cpu pids\n");
        Files.writeString(parent.resolve("cgroup.subtree_control"), "");
        Path cg = Files.createDirectories(parent.resolve("c"));
        Files.writeString(cg.resolve("pids.max"), "max\n");
        Files.writeString(cg.resolve("cgroup.controllers"), "cpuset cpu pids\n");

        String out = shOut(dir, CgroupFs.KNOB, cg.toString(), "pids.max", "$(touch pwned)", "pids", root.toString());
        KnobReadback r = CgroupFs.readback("p/c", CgroupKnob.pidsMax(3), out);
        assertThat(r.status()).isEqualTo(KnobReadback.Status.ROUNDED); // held what was written: the hostile string
        assertThat(r.held()).isEqualTo("$(touch pwned)");
        assertThat(Files.readString(root.resolve("cgroup.subtree_control"))).isEqualTo("+pids\n");
        assertThat(Files.readString(parent.resolve("cgroup.subtree_control"))).isEqualTo("+pids\n");
        assertThat(dir.resolve("pwned")).doesNotExist();

        out = shOut(dir, CgroupFs.KNOB, cg.toString(), "pids.max", "7", "pids", root.toString());
        assertThat(CgroupFs.readback("p/c", CgroupKnob.pidsMax(7), out).status()).isEqualTo(KnobReadback.Status.AS_WRITTEN);

        out = shOut(dir, CgroupFs.KNOB, cg.toString(), "memory.max", "4096", "memory", root.toString());
        KnobReadback missing = CgroupFs.readback("p/c", CgroupKnob.memoryMax(4096), out);
        assertThat(missing.status()).isEqualTo(KnobReadback.Status.MISSING);
        assertThat(missing.describe()).contains("CONFIG_MEMCG").contains("cpuset cpu pids");
        assertThat(cg.resolve("memory.max")).doesNotExist();
    }

    @Test
    void readbackTellsRoundedRefusedAndSanitizesTheGuestsText() {
        KnobReadback rounded = CgroupFs.readback("cg", CgroupKnob.memoryMax(1_000_000), "ok\n999424\n");
        assertThat(rounded.status()).isEqualTo(KnobReadback.Status.ROUNDED);
        assertThat(rounded.describe()).isEqualTo("cg memory.max = 1000000: the kernel holds 999424 (rounded or adjusted)");
        KnobReadback refused = CgroupFs.readback("cg", CgroupKnob.cpuWeight(5), "refused Invalid argument\n100\n");
        assertThat(refused.status()).isEqualTo(KnobReadback.Status.REFUSED);
        assertThat(refused.describe()).contains("Invalid argument").contains("holds 100");
        assertThat(CgroupFs.readback("cg", CgroupKnob.ioWeight(50), "ok\ndefault 50\n8:0 70\n").status())
                .isEqualTo(KnobReadback.Status.AS_WRITTEN);
        assertThat(CgroupFs.readback("cg", CgroupKnob.cpuMax(50_000, 100_000), "ok\n50000 100000\n").status())
                .isEqualTo(KnobReadback.Status.AS_WRITTEN);
        assertThat(CgroupFs.readback("cg", CgroupKnob.cpuWeight(5), "ok\n\u001b[2J5\n").held()).doesNotContain("\u001b");
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
