package dev.jktstr.scenario;

import static dev.jktstr.scenario.ValidationTest.invalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.Topology;
import dev.jktstr.testsupport.TinyElf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Payloads and includes refused before anything boots (a bad binary, bad names, a wait or kill of a payload never
 * started, a payload in a parent cgroup, a missing include), and what the result file and the verdict say of a
 * payload's end. No test here boots a guest.
 */
class PayloadValidationTest {
    private static final Topology T = new Topology(1, 1, 2, 1);

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    private static void validate(Op... ops) {
        Scenarios.validate(T, List.of(Step.of(HoldSpec.fraction(1), ops)));
    }

    @Test
    void aPayloadBinaryMustBeAStaticX86ElfThatExists(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("probe");
        var e = invalid(() -> Payload.binary(missing));
        assertThat(e.field()).isEqualTo("payload.binary");
        assertThat(e.getMessage()).contains("no payload binary at " + missing);
        Path text = Files.writeString(dir.resolve("notes.txt"), "just text\n");
        assertThat(invalid(() -> Payload.binary(text)).getMessage())
                .contains(text + " must be a statically linked x86-64 ELF").contains("it is not an ELF file");
        Path script = Files.writeString(dir.resolve("run.sh"), "#!/bin/sh\nexit 0\n");
        assertThat(invalid(() -> Payload.binary(script)).getMessage()).contains("it is a script (#!/bin/sh)");
        Path dynamic = Files.write(dir.resolve("dyn"), TinyElf.dynamic("/lib64/ld-linux-x86-64.so.2"));
        assertThat(invalid(() -> Payload.binary(dynamic)).getMessage()).contains("it is a dynamically linked x86-64 ELF");
        Path ok = Files.write(dir.resolve("probe-ok"), TinyElf.exiting(7, "probe\n"));
        Payload p = Payload.binary(ok, "--fast").expectExit(7);
        assertThat(p.guestArgv()).containsExactly("/bin/jktstr-payload-probe-ok", "--fast");
        assertThat(p.describe()).isEqualTo(ok + " --fast (expecting exit 7)");
        Path oddName = Files.write(dir.resolve("a b"), TinyElf.exiting(0, ""));
        assertThat(invalid(() -> Payload.binary(oddName)).getMessage()).contains("unusable binary name 'a b'");
        // two different files that would be one guest path
        Path other = Files.write(Files.createDirectories(dir.resolve("other")).resolve("probe-ok"), TinyElf.exiting(1, ""));
        var twice = invalid(() -> validate(Op.runPayload("a", Payload.binary(ok)), Op.runPayload("b", Payload.binary(other))));
        assertThat(twice.field()).isEqualTo("steps[0].ops[1].payload.binary");
        assertThat(twice.getMessage()).contains("/bin/jktstr-payload-probe-ok");
    }

    @Test
    void commandsNamesAndExitStatuses() {
        assertThat(Payload.shell("echo hi; exit 3").guestArgv()).containsExactly("/bin/sh", "-c", "echo hi; exit 3");
        assertThat(Payload.shell("echo hi; exit 3").describe()).isEqualTo("/bin/sh -c 'echo hi; exit 3'");
        assertThat(Payload.command("sleep", "600").guestArgv()).containsExactly("sleep", "600");
        assertThat(invalid(() -> Payload.command("")).field()).isEqualTo("payload");
        assertThat(invalid(() -> Payload.command("echo", "a\0b")).getMessage()).contains("NUL");
        assertThat(invalid(() -> Payload.shell("true").expectExit(256)).field()).isEqualTo("payload.expectExit");
        for (String bad : List.of("", "a/b", ".hidden", "with space", "x".repeat(65))) {
            assertThat(invalid(() -> validate(Op.runPayload(bad, Payload.shell("true")))).field())
                    .as(bad).isEqualTo("steps[0].ops[0].name");
        }
        assertThat(invalid(() -> validate(Op.runPayload("p", Payload.shell("true")), Op.runPayload("p", Payload.shell("true"))))
                .getMessage()).contains("payload 'p' is started twice");
    }

    @Test
    void waitAndKillNeedAPayloadStartedBefore() {
        var e = invalid(() -> validate(Op.waitPayload("ghost", Duration.ofSeconds(1))));
        assertThat(e.field()).isEqualTo("steps[0].ops[0].name");
        assertThat(e.getMessage()).contains("unknown payload 'ghost'");
        assertThat(invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.killPayload("later")),
                Step.of(HoldSpec.fraction(0.5), Op.runPayload("later", Payload.shell("true")))))).field())
                .isEqualTo("steps[0].ops[0].name");
        assertThat(invalid(() -> validate(Op.runPayload("p", Payload.shell("true")), Op.waitPayload("p", Duration.ZERO)))
                .field()).isEqualTo("steps[0].ops[1].timeout");
        validate(Op.runPayload("p", Payload.command("sleep", "1")), Op.waitPayload("p", Duration.ofSeconds(5)),
                Op.killPayload("p"));
        // a loop hold cannot start a payload again and again
        assertThat(invalid(() -> Scenarios.validate(T, List.of(Step.of(HoldSpec.loop(1, Duration.ofMillis(100)),
                Op.runPayload("p", Payload.shell("true")))))).getMessage()).contains("cannot repeat in a loop hold");
    }

    @Test
    void aPayloadCgroupIsALiveLeafAndStaysUntilThePayloadIsDone() {
        assertThat(invalid(() -> validate(Op.runPayload("p", Payload.shell("true"), "nope"))).getMessage())
                .contains("unknown cgroup 'nope'");
        assertThat(invalid(() -> validate(Op.addCgroup(CgroupDef.parent("outer")), Op.addCgroup(CgroupDef.named("outer/in")),
                Op.runPayload("p", Payload.shell("true"), "outer"))).getMessage()).contains("a payload goes into a leaf");
        var e = invalid(() -> Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg")), Op.runPayload("p", Payload.shell("true"), "cg")),
                Step.of(HoldSpec.fraction(0.5), Op.removeCgroup("cg")))));
        assertThat(e.field()).isEqualTo("steps[1].ops[0].name");
        assertThat(e.getMessage()).contains("payload 'p' may still run in cgroup 'cg'");
        Scenarios.validate(T, List.of(
                Step.of(HoldSpec.fraction(0.5), Op.addCgroup(CgroupDef.named("cg")), Op.runPayload("p", Payload.shell("true"), "cg")),
                Step.of(HoldSpec.fraction(0.5), Op.killPayload("p"), Op.removeCgroup("cg"))));
    }

    @Test
    void aMissingIncludeIsRefusedBeforeBootNamingIt(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("test-script.sh");
        var e = invalid(() -> Vm.builder().include(missing).build());
        assertThat(e.field()).isEqualTo("include");
        assertThat(e.getMessage()).contains("no file or directory at " + missing);
        assertThat(invalid(() -> Vm.builder().include(dir, "relative")).getMessage()).contains("must be absolute");
        Path there = Files.writeString(missing, "echo hi\n");
        assertThat(Vm.builder().include(there).include(dir, "/opt/d").build().includes()).extracting(i -> i.guestPath())
                .containsExactly("/include/test-script.sh", "/opt/d");
    }

    @Test
    void theResultFileAndTheVerdictCarryEachPayloadsEnd(@TempDir Path dir) throws Exception {
        Verdict v = Assert.defaults().check(List.of());
        PayloadResult exited = new PayloadResult("hi", "/bin/sh -c 'echo hi; exit 3'", Optional.empty(), 1,
                PayloadResult.End.EXITED, 3, 0, Optional.empty(), "hi\n", 3, 0, Duration.ofMillis(12), "");
        PayloadResult killed = new PayloadResult("sleeper", "sleep 600", Optional.of("cg"), 2, PayloadResult.End.SIGNALED,
                -1, 9, Optional.of("killPayload at step 2"), "", 0, 0, Duration.ofMillis(900), "");
        PayloadResult never = new PayloadResult("nope", "/bin/nope", Optional.empty(), 1, PayloadResult.End.NOT_STARTED,
                -1, 0, Optional.empty(), "", 0, 0, Duration.ZERO, "exec /bin/nope: No such file or directory (ENOENT)");
        assertThat(exited.describe()).isEqualTo("payload hi (/bin/sh -c 'echo hi; exit 3'): exited 3 after 12 ms, 3 bytes of output");
        assertThat(killed.describe()).contains("ended by SIGKILL (9) (killed: killPayload at step 2)");
        assertThat(never.describe()).contains("did not start: exec /bin/nope: No such file or directory (ENOENT)");
        v.claim(PayloadResult::exitCode, exited).eq(0);
        assertThat(v.claims()).singleElement().satisfies(c -> {
            assertThat(c.label()).isEqualTo("payload:hi.exitCode");
            assertThat(c.outcome()).isEqualTo(Outcome.FAIL);
        });
        RunResult r = new RunResult("p", Instant.EPOCH, Duration.ofSeconds(1), Duration.ofSeconds(1), "6.12", "bzImage", T,
                "qemu:tcg", "eevdf", "", Optional.empty(), List.of(), v, null, null, null, null,
                List.of(Step.of(HoldSpec.fraction(1), Op.runPayload("hi", Payload.shell("echo hi; exit 3").expectExit(3)),
                        Op.waitPayload("hi", Duration.ofSeconds(2)))), null, null, List.of(exited, killed, never));
        assertThat(r.payload("sleeper").signal()).isEqualTo(9);
        assertThatThrownBy(() -> r.payload("x")).hasMessageContaining("[hi, sleeper, nope]");
        Map<String, Object> json = ResultJsonV2Test.parse(r.write(dir.resolve("r.json")));
        assertThat(json.get("version")).isEqualTo(ResultJson.VERSION);
        List<?> payloads = (List<?>) json.get("payloads");
        assertThat(payloads).hasSize(3);
        Map<String, Object> p0 = obj(payloads.get(0));
        assertThat(p0).containsEntry("name", "hi").containsEntry("end", "exited").containsEntry("exitCode", 3)
                .containsEntry("signal", null).containsEntry("output", "hi\n").containsEntry("outputBytes", 3)
                .containsEntry("droppedBytes", 0).containsEntry("step", 1).containsEntry("cgroup", null)
                .containsEntry("killed", null);
        assertThat(obj(payloads.get(1))).containsEntry("end", "signaled").containsEntry("signal", 9)
                .containsEntry("exitCode", null).containsEntry("killed", "killPayload at step 2").containsEntry("cgroup", "cg");
        assertThat(obj(payloads.get(2))).containsEntry("end", "not-started")
                .containsEntry("error", "exec /bin/nope: No such file or directory (ENOENT)");
        List<?> ops = (List<?>) ((Map<?, ?>) ((List<?>) ResultJsonV2Test.get(json, "scenarioDefinition", "steps")).get(0)).get("ops");
        assertThat(obj(ops.get(0))).containsEntry("op", "runPayload").containsEntry("name", "hi")
                .containsEntry("payload", "/bin/sh -c 'echo hi; exit 3' (expecting exit 3)").doesNotContainKey("cgroup");
        assertThat(obj(ops.get(1))).containsEntry("op", "waitPayload").containsEntry("timeoutMs", 2000);
    }
}
