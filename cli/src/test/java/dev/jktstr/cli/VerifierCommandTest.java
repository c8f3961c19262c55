package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import dev.jktstr.testsupport.TinyElf;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jktstr verifier}: the baseline rules and bad input without a guest; with a QEMU guest each (about 20 s),
 * scx_qmap against a hand-written baseline, and a program the kernel's verifier rejects.
 */
class VerifierCommandTest {

    private static final VerifierBaseline.Program DISPATCH =
            new VerifierBaseline.Program("qmap_dispatch", "BPF_PROG_TYPE_STRUCT_OPS", "dispatch", 1000);

    @Test
    void growthPastTheLimitFailsNewAndGoneProgramsAreListed() {
        VerifierBaseline base = new VerifierBaseline("scx_qmap", "6.12", "1,1,2,1", List.of(DISPATCH,
                new VerifierBaseline.Program("qmap_tick", "BPF_PROG_TYPE_STRUCT_OPS", "tick", 100),
                new VerifierBaseline.Program("qmap_gone", "BPF_PROG_TYPE_STRUCT_OPS", null, 5)));
        List<VerifierDelta.Row> rows = VerifierDelta.compare(List.of(
                new VerifierBaseline.Program("qmap_dispatch", "BPF_PROG_TYPE_STRUCT_OPS", "dispatch", 1100),
                new VerifierBaseline.Program("qmap_tick", "BPF_PROG_TYPE_STRUCT_OPS", "tick", 111),
                new VerifierBaseline.Program("qmap_new", "BPF_PROG_TYPE_STRUCT_OPS", "enqueue", 7)), base, 10);
        assertThat(rows).extracting(VerifierDelta.Row::key, VerifierDelta.Row::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("qmap_dispatch", VerifierDelta.Status.OK), // exactly +10%
                org.assertj.core.groups.Tuple.tuple("qmap_tick", VerifierDelta.Status.GREW),   // +11%
                org.assertj.core.groups.Tuple.tuple("qmap_new", VerifierDelta.Status.NEW),
                org.assertj.core.groups.Tuple.tuple("qmap_gone", VerifierDelta.Status.GONE));
        assertThat(VerifierDelta.table(rows)).contains("+11.0%").contains("struct_ops");
    }

    @Test
    void programsOfTheSameNameGetNumberedKeys() {
        var p = new dev.jktstr.introspect.BpfProgState(4, "dup", "T", "", null, "", true, 1, 8, 4096, 3, 0L, 0L, List.of());
        var q = new dev.jktstr.introspect.BpfProgState(2, "dup", "T", "", null, "", true, 1, 8, 4096, 9, 0L, 0L, List.of());
        assertThat(VerifierCommand.programs(List.of(p, q))).extracting(VerifierBaseline.Program::key,
                VerifierBaseline.Program::verifiedInsns).containsExactly(org.assertj.core.groups.Tuple.tuple("dup", 9L),
                org.assertj.core.groups.Tuple.tuple("dup#2", 3L));
    }

    @Test
    void aBaselineRoundTripsAndOneOfAnotherVersionIsNamedAndRefusedBeforeBoot(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("b.json");
        VerifierBaseline b = new VerifierBaseline("scx_qmap", "6.12.117", "1,1,2,1", List.of(DISPATCH));
        b.write(f);
        assertThat(VerifierBaseline.read(f)).isEqualTo(b);
        Files.writeString(f, Files.readString(f).replace("\"version\" : 1", "\"version\" : 7"));
        Path sched = Files.write(dir.resolve("scx_ok"), TinyElf.exiting(0, ""));
        // /nonexistent as the kernel: a refusal must come before anything looks for one
        Run r = RunCommandTest.jktstr("verifier", "--scheduler", sched.toString(), "--baseline", f.toString(),
                "--kernel", "/nonexistent");
        assertThat(r.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(r.err()).contains("--baseline " + f + ": verifier baseline version 7, this jktstr reads 1");
        Path perfResult = Files.writeString(dir.resolve("result.json"), "{\"version\": 1, \"scenario\": \"steady\"}");
        Run notOne = RunCommandTest.jktstr("verifier", "--scheduler", sched.toString(), "--baseline",
                perfResult.toString(), "--kernel", "/nonexistent");
        assertThat(notOne.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(notOne.err()).contains("not a verifier baseline (format null");
        Run noSched = RunCommandTest.jktstr("verifier", "--scheduler", dir.resolve("none").toString());
        assertThat(noSched.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(noSched.err()).contains("no such file");
    }

    /**
     * scx_qmap against a baseline written by hand: {@code qmap_dispatch} at 1000 verified instructions (it has about
     * 2000 on 6.12) grew, the others are new, one baseline program is gone; the saved file lists every program.
     */
    @Test
    @BootsVm
    void everyProgramOfScxQmapIsListedAndGrowthPastTheBaselineFails(@TempDir Path dir) throws Exception {
        Path kernel = SchedulerFailureTest.kernel();
        Path qmap = SharedAssets.requireScheduler("scx_qmap");
        Path base = dir.resolve("base.json");
        new VerifierBaseline("scx_qmap", "6.12", "1,1,2,1", List.of(DISPATCH,
                new VerifierBaseline.Program("qmap_gone", "BPF_PROG_TYPE_STRUCT_OPS", null, 5))).write(base);
        Path saved = dir.resolve("saved.json");
        Run r = RunCommandTest.jktstr("verifier", "--kernel", kernel.toString(), "--memory", "256", "--scheduler",
                qmap.toString(), "--baseline", base.toString(), "--save", saved.toString());
        System.out.println(r.out() + r.err());
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(VerifierCommand.FAILED);
        assertThat(r.out()).containsPattern("scheduler scx_qmap on \\S+, topology 1,1,2,1: \\d+ programs accepted")
                .containsPattern("qmap_dispatch\\s+struct_ops\\s+dispatch\\s+\\d+\\s+1000\\s+\\+\\S+%\\s+GREW")
                .containsPattern("qmap_enqueue\\s+struct_ops\\s+enqueue\\s+\\d+\\s+-\\s+-\\s+NEW")
                .containsPattern("qmap_gone\\s+struct_ops\\s+-\\s+-\\s+5\\s+-\\s+GONE")
                .contains("verdict: FAIL (1 of ");
        VerifierBaseline now = VerifierBaseline.read(saved);
        assertThat(now.scheduler()).isEqualTo("scx_qmap");
        assertThat(now.programs()).hasSizeGreaterThanOrEqualTo(10).allSatisfy(p -> {
            assertThat(p.verifiedInsns()).as(p.key()).isPositive();
            assertThat(p.type()).isEqualTo("BPF_PROG_TYPE_STRUCT_OPS");
        });
        assertThat(now.programs()).extracting(VerifierBaseline.Program::attachTo).contains("enqueue", "dispatch", "init");
    }

    /**
     * A scheduler whose BPF program the verifier rejects ({@code src/test/c/broken_bpf_prog.c}, built statically with
     * gcc): REJECTED, exit 1, with the kernel verifier's own reason from the scheduler's output.
     */
    @Test
    @BootsVm
    void aRejectedProgramIsReportedWithTheVerifiersOwnMessage(@TempDir Path dir) throws Exception {
        Path kernel = SchedulerFailureTest.kernel();
        HostProgram.require("gcc", "apt-get install gcc libc6-dev");
        Path src = Path.of(System.getProperty("jktstr.repo.root", ".")).resolve("cli/src/test/c/broken_bpf_prog.c");
        if (!Files.isRegularFile(src)) {
            src = Path.of("src/test/c/broken_bpf_prog.c");
        }
        Path bin = dir.resolve("scx_broken");
        Process gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", bin.toString(), src.toString())
                .redirectErrorStream(true).start();
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(gcc.waitFor() == 0, "gcc -static could not build the fixture (apt-get install libc6-dev): " + log);
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = RunCommandTest.jktstr("verifier", "--kernel", kernel.toString(), "--memory", "256", "--scheduler",
                bin.toString());
        System.out.println(r.out() + r.err());
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(VerifierCommand.FAILED);
        assertThat(r.out()).contains("scheduler scx_broken on ")
                .contains(": REJECTED (it exited with status 1 before sched_ext was enabled)")
                .contains("  libbpf: prog 'jk_broken': BPF program load failed: Permission denied")
                .contains("  R2 !read_ok"); // the kernel verifier's words
    }
}
