package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.TinyElf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Payloads and included files in one guest (QEMU, 1,1,2,1, EEVDF), several short runs in it. The oracles are the
 * guest's own: a program's exit status and output as busybox produced them, {@code ps} for leftovers,
 * {@code sha256sum} in the guest against the host's digest of the same file.
 */
@BootsVm
class PayloadsEndToEndTest {
    private static final Duration SHORT = Duration.ofMillis(300);
    private static Ctx ctx;
    private static Path dir;
    private static Path data;
    private static Path tiny;

    @BeforeAll
    static void boot() throws IOException {
        dir = Files.createTempDirectory("jktstr-payloads-test");
        byte[] bytes = new byte[300_000];
        new Random(42).nextBytes(bytes);
        data = Files.write(dir.resolve("data.bin"), bytes);
        tiny = Files.write(dir.resolve("tiny"), TinyElf.exiting(7, "tiny says hi\n"));
        ctx = TestAssets.vm().scheduler(Scheduler.eevdf()).include(data, "/opt/jktstr/data.bin").include(data).boot();
    }

    @AfterAll
    static void close() throws IOException {
        if (ctx != null) {
            ctx.close();
        }
        for (Path p : List.of(data, tiny, dir)) {
            if (p != null) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static RunResult run(String name, Step... steps) {
        RunResult r = Scenarios.run(ctx, Scenario.of(name, List.of(steps)));
        System.out.printf("%s:%n%s%n", name, r.verdict().table());
        return r;
    }

    /** Processes in the guest whose command line holds {@code marker}, by {@code ps} through the shell. */
    private static List<String> guestProcesses(String marker) {
        return ctx.shell().sh("ps -o pid,args | grep -F -e \"$1\" | grep -v grep || true", marker).lines().toList();
    }

    @Test
    void aBusyboxPayloadsExitStatusAndOutputAreInTheResult() {
        RunResult r = run("exit-3", Step.of(HoldSpec.fixed(SHORT),
                Op.runPayload("hi", Payload.shell("echo hi; echo to-stderr >&2; exit 3").expectExit(3)),
                Op.waitPayload("hi", Duration.ofSeconds(30))));
        PayloadResult p = r.payload("hi");
        assertThat(p.end()).isEqualTo(PayloadResult.End.EXITED);
        assertThat(p.exitCode()).isEqualTo(3);
        assertThat(p.output()).isEqualTo("hi\nto-stderr\n");
        assertThat(p.outputBytes()).isEqualTo(13);
        assertThat(p.droppedBytes()).isZero();
        assertThat(p.killed()).isEmpty();
        assertThat(r.verdict().claims()).filteredOn(c -> c.label().equals("payload:hi.exitCode"))
                .singleElement().satisfies(c -> assertThat(c.outcome()).isEqualTo(Outcome.PASS));
        assertThat(r.verdict().notes()).anyMatch(n -> n.startsWith("payload hi (/bin/sh -c ") && n.contains("exited 3")
                && n.contains("output: hi\\nto-stderr"));
        assertThat(r.timeline()).extracting(TimelineEvent::kind).contains(TimelineEvent.PAYLOAD_STARTED,
                TimelineEvent.PAYLOAD_ENDED);
    }

    @Test
    void killPayloadEndsALongSleeperWithSigkill() {
        RunResult r = run("kill", Step.of(HoldSpec.fixed(SHORT), Op.runPayload("sleeper", Payload.command("sleep", "600"))),
                Step.of(HoldSpec.fixed(SHORT), Op.killPayload("sleeper")));
        PayloadResult p = r.payload("sleeper");
        assertThat(p.end()).isEqualTo(PayloadResult.End.SIGNALED);
        assertThat(p.signal()).isEqualTo(9);
        assertThat(p.killed()).hasValue("killPayload at step 2");
        assertThat(p.describe()).contains("ended by SIGKILL (9)");
        assertThat(r.verdict().reason()).doesNotContain("op failed");
        assertThat(guestProcesses("sleep 600")).isEmpty();
    }

    @Test
    void aWaitThatTimesOutFailsTheOpNotTheRunAndDoesNotHang() {
        long t0 = System.nanoTime();
        RunResult r = run("wait-timeout", Step.of(HoldSpec.fixed(SHORT),
                Op.runPayload("slow", Payload.command("sleep", "6060")), Op.waitPayload("slow", Duration.ofMillis(500))),
                Step.of(HoldSpec.fixed(SHORT)));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
        assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(r.verdict().reason()).contains("op failed: step 1: waitPayload slow: still running after 500 ms");
        assertThat(r.timeline()).extracting(TimelineEvent::step).contains(2); // the run went on
        PayloadResult p = r.payload("slow");
        assertThat(p.end()).isEqualTo(PayloadResult.End.SIGNALED);
        assertThat(p.killed()).hasValue("still running at the end of the run");
        assertThat(guestProcesses("sleep 6060")).isEmpty();
    }

    @Test
    void aPayloadLeftRunningIsKilledWithItsChildrenAtTheEnd() {
        assertThat(guestProcesses("sleep 6061")).isEmpty();
        RunResult r = run("leftover", Step.of(HoldSpec.fixed(SHORT),
                Op.runPayload("forker", Payload.shell("sleep 6061 & sleep 6061 & echo started; wait"))));
        PayloadResult p = r.payload("forker");
        assertThat(p.end()).isEqualTo(PayloadResult.End.SIGNALED);
        assertThat(p.signal()).isEqualTo(9);
        assertThat(p.killed()).hasValue("still running at the end of the run");
        assertThat(p.output()).isEqualTo("started\n");
        assertThat(guestProcesses("sleep 6061")).isEmpty();
        assertThat(ctx.shell().sh("ls /tmp/jktstr-payloads 2>/dev/null || true").strip()).isEmpty(); // directories gone
    }

    @Test
    void anIncludedFileHasTheHostsBytesAndAPayloadReadsIt() throws Exception {
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(data)));
        assertThat(ctx.shell().sh("sha256sum \"$1\" \"$2\"", "/opt/jktstr/data.bin", "/include/data.bin").lines()
                .map(l -> l.split("\\s+")[0]).toList()).containsExactly(digest, digest);
        RunResult r = run("include", Step.of(HoldSpec.fixed(SHORT),
                Op.runPayload("sum", Payload.command("sha256sum", "/opt/jktstr/data.bin").expectExit(0)),
                Op.waitPayload("sum", Duration.ofSeconds(30))));
        assertThat(r.payload("sum").output()).startsWith(digest);
    }

    @Test
    void aHostBinaryRunsAndAProgramTheGuestCannotExecuteFailsItsOpWithTheErrno() {
        RunResult r = run("binary", Step.of(HoldSpec.fixed(SHORT), Op.addCgroup(CgroupDef.named("cg").workers(1)),
                Op.runPayload("tiny", Payload.binary(tiny)), Op.runPayload("where", Payload.shell("cat /proc/self/cgroup"), "cg"),
                Op.runPayload("data", Payload.command("/opt/jktstr/data.bin")), // mode 0644: not executable
                Op.waitPayload("tiny", Duration.ofSeconds(30)), Op.waitPayload("where", Duration.ofSeconds(30)),
                Op.waitPayload("data", Duration.ofSeconds(1))));
        assertThat(r.payload("tiny").exitCode()).isEqualTo(7);
        assertThat(r.payload("tiny").output()).isEqualTo("tiny says hi\n");
        assertThat(r.payload("where").output()).contains("/cg");
        PayloadResult data = r.payload("data");
        assertThat(data.end()).isEqualTo(PayloadResult.End.NOT_STARTED);
        assertThat(data.error()).contains("EACCES");
        assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(r.verdict().reason()).contains("runPayload data").contains("EACCES");
        assertThat(r.cgroups()).extracting(CgroupStats::name).containsExactly("cg"); // the run went on to its end
    }
}
