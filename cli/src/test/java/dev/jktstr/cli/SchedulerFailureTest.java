package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.testsupport.TinyElf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scheduler that fails to attach is a FAIL (exit 1) naming the scheduler's own error, not invalid input (exit 2):
 * a real one ({@code scx_qmap -e 1}: its BPF side calls {@code scx_bpf_error} on the first enqueue, while it attaches)
 * and the smallest fake (a static ELF that prints an error and exits 1). Each boots a QEMU guest (about 10 s).
 */
@BootsVm
class SchedulerFailureTest {
    static Path kernel() {
        Path kernel = SharedAssets.requireKernelDir();
        SharedAssets.requireBzImage();
        HostProgram.require("qemu-system-x86_64", "apt-get install qemu-system-x86");
        return kernel;
    }

    @Test
    void aSchedulerThatExitsWithAnErrorBeforeAttachingIsAFail(@TempDir Path dir) throws Exception {
        Path kernel = kernel();
        Path fake = Files.write(dir.resolve("scx_fail"), TinyElf.exiting(1, "scx_fail: ops.init() failed: scx_bpf_error(\"no usable CPU\")\n"));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", kernel.toString(), "--memory", "256", "--duration", "2s",
                "--scheduler", fake.toString(), "--output", dir.resolve("r.json").toString());
        System.out.println(r.err() + r.out());
        assertThat(r.exit()).as(r.err() + r.out()).isEqualTo(1);
        assertThat(r.out()).contains("verdict: FAIL — scheduler scx_fail failed to attach: it exited with status 1"
                + " (sched_ext state: disabled)")
                .contains("\n  scx_fail: ops.init() failed: scx_bpf_error(\"no usable CPU\")\n")
                .contains("result: none (the scenario did not run)");
        assertThat(dir.resolve("r.json")).doesNotExist();
    }

    @Test
    void aRealSchedulerWhoseBpfSideErrorsWhileAttachingIsAFail(@TempDir Path dir) {
        Path kernel = kernel();
        Path qmap = SharedAssets.requireScheduler("scx_qmap");
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", kernel.toString(), "--memory", "256", "--duration", "2s",
                "--scheduler", qmap.toString(), "--scheduler-arg=-e", "--scheduler-arg=1",
                "--output", dir.resolve("r.json").toString());
        System.out.println(r.err() + r.out());
        assertThat(r.exit()).as(r.err() + r.out()).isEqualTo(1);
        String verdict = r.out().lines().filter(l -> l.startsWith("verdict: ")).findFirst().orElseThrow();
        // Usually the error comes before the boot sees sched_ext enabled ("failed to attach"); should the boot catch
        // the moment between, the run ends with the scheduler no longer attached: a FAIL with the same words.
        assertThat(verdict).startsWith("verdict: FAIL — scheduler scx_qmap ").contains("test triggering error");
        if (verdict.contains("failed to attach")) {
            assertThat(verdict).contains("it reported: EXIT: scx_bpf_error (test triggering error)")
                    .contains("the kernel: ").contains("disabled (scx_bpf_error)");
        }
    }

    /**
     * scx_qmap -e N calls scx_bpf_error("test triggering error") at its N-th enqueue. Attaching takes a few dozen;
     * mixed's pipe and timer workers make thousands a second (a lone spinner is not re-enqueued when its slice ends),
     * so the 400th comes mid-run.
     */
    private static Run qmapFailingMidRun(Path dir, String... expectation) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("run", "mixed", "--kernel",
                kernel().toString(), "--memory", "256", "--duration", "6s",
                "--scheduler", SharedAssets.requireScheduler("scx_qmap").toString(), "--scheduler-arg=-e",
                "--scheduler-arg=400", "--output", dir.resolve("r.json").toString()));
        args.addAll(java.util.List.of(expectation));
        Run r = RunCommandTest.jktstr(args.toArray(String[]::new));
        System.out.println(r.err() + r.out());
        return r;
    }

    @Test
    void aSchedulerThatFailsTheExpectedWayPasses(@TempDir Path dir) {
        Run r = qmapFailingMidRun(dir, "--expect-scheduler-error", "test triggering error");
        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("verdict: PASS")
                .contains("expected: a scheduler error containing \"test triggering error\" — scheduler scx_qmap is no"
                        + " longer attached");
    }

    @Test
    void aSchedulerThatFailsAnotherWayFailsTheExpectation(@TempDir Path dir) {
        Run r = qmapFailingMidRun(dir, "--expect-scheduler-error-regex", "dispatch.*loop");
        assertThat(r.exit()).as(r.err() + r.out()).isEqualTo(1);
        assertThat(r.out()).contains("verdict: FAIL — expected a scheduler error matching /dispatch.*loop/, but it"
                + " failed otherwise: scheduler scx_qmap is no longer attached").contains("test triggering error");
        // the failure leaves its evidence: BUG SUMMARY first, then a dump beside the result
        Path dump = dir.resolve("r.failure-dump.json");
        assertThat(r.out()).contains("BUG SUMMARY\n  outcome:   FAIL — expected a scheduler error")
                .contains("  scheduler: scx_qmap exited SCX_EXIT_ERROR_BPF (scx_bpf_error)\n")
                .contains("  error:     test triggering error\n").contains("  dump:      " + dump.toAbsolutePath());
        assertThat(r.out().indexOf("BUG SUMMARY")).isLessThan(r.out().indexOf("verdict: FAIL"));
        java.util.Map<String, Object> d = DumpCommand.read(dump);
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> exit = (java.util.Map<String, Object>) d.get("schedulerExit");
        assertThat(exit).containsEntry("kind", 1025).containsEntry("reason", "scx_bpf_error")
                .containsEntry("message", "test triggering error");
        assertThat((java.util.List<?>) exit.get("backtrace")).isNotEmpty();
        @SuppressWarnings("unchecked")
        java.util.List<java.util.Map<String, Object>> vcpus = (java.util.List<java.util.Map<String, Object>>) d.get("vcpus");
        assertThat(vcpus).hasSize(2).allSatisfy(v -> assertThat(v).containsKey("registers"));
        // qmap's maps, with values, as the flight recorder saw them before the exit freed them
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> recorder = (java.util.Map<String, Object>) d.get("flightRecorder");
        String snapshots = String.valueOf(recorder.get("snapshots"));
        assertThat(snapshots).contains("name=scx_qmap.bss").contains("nr_enqueued=");
        Run show = RunCommandTest.jktstr("dump", "show", dump.toString());
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("BUG SUMMARY").contains("error:     test triggering error").contains("cpu 1: RIP=0x")
                .contains("flight recorder: ").contains("kernel log (last 30 of");
    }

    @Test
    void anExpectedErrorThatNeverComesIsAFail(@TempDir Path dir) {
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", kernel().toString(), "--memory", "256",
                "--duration", "2s", "--scheduler", SharedAssets.requireScheduler("scx_simple").toString(),
                "--expect-scheduler-error", "stall", "--output", dir.resolve("r.json").toString());
        System.out.println(r.err() + r.out());
        assertThat(r.exit()).as(r.err() + r.out()).isEqualTo(1);
        assertThat(r.out()).contains("verdict: FAIL — expected a scheduler error containing \"stall\", but scheduler"
                + " scx_simple stayed attached to the end");
    }

    @Test
    void aShortWatchdogCatchesAStallingSchedulerThatTheTestExpects(@TempDir Path dir) {
        // scx_qmap -t 400 drops every 400th enqueue of a user task, which then never runs: the first comes mid-run
        // (attaching takes fewer), and with the watchdog at 1 s (qmap's own is 5 s) the kernel ejects qmap for the
        // stall a second later, which this run expects (under TCG on a busy host the watchdog may first miss its own
        // check-in by more than that second: "runnable task stall (watchdog failed to check in …)", the same kind)
        Run r = RunCommandTest.jktstr("run", "mixed", "--kernel", kernel().toString(), "--memory", "256", "--duration", "6s",
                "--scheduler", SharedAssets.requireScheduler("scx_qmap").toString(), "--scheduler-arg=-t",
                "--scheduler-arg=400", "--watchdog", "1s", "--expect-scheduler-error", "runnable task stall",
                "--output", dir.resolve("r.json").toString());
        System.out.println(r.err() + r.out());
        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("verdict: PASS").contains("sched_ext watchdog: 1000 ms (1000 jiffies at HZ=1000), was 5000 ms")
                .contains("expected: a scheduler error containing \"runnable task stall\"");
    }

    @Test
    void aWatchdogOutsideSchedExtsRangeIsRefusedBeforeBooting() {
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", "/nonexistent", "--scheduler", "/bin/true", "--watchdog", "40s");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("the sched_ext watchdog timeout must be 100 ms to 30 s, got 40000 ms");
    }

    @Test
    void anExpectedSchedulerErrorNeedsAScheduler() {
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", "/nonexistent",
                "--expect-scheduler-error", "x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--expect-scheduler-error: EEVDF cannot fail with a sched_ext error");
        Run both = RunCommandTest.jktstr("run", "steady", "--kernel", "/nonexistent",
                "--expect-scheduler-error", "x", "--expect-scheduler-error-regex", "(");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("not both");
        Run regex = RunCommandTest.jktstr("run", "steady", "--kernel", "/nonexistent",
                "--expect-scheduler-error-regex", "(");
        assertThat(regex.exit()).isEqualTo(2);
        assertThat(regex.err()).contains("not a regular expression");
    }

    @Test
    void schedulerArgumentsNeedASchedulerBinary() {
        Run r = RunCommandTest.jktstr("run", "steady", "--kernel", "/nonexistent", "--scheduler-arg=-e");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--scheduler-arg: EEVDF takes no arguments");
    }
}
