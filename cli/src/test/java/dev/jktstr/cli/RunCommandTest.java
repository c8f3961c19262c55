package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import dev.jktstr.testsupport.TinyElf;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunCommandTest {

    record Run(int exit, String out, String err) {}

    static Run jktstr(String... args) {
        CommandLine cl = Jktstr.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * {@link #jktstr} with {@code System.out} captured as {@code out}: {@code shell --exec} copies the guest command's
     * output there byte for byte, not to the command line's writer.
     */
    static Run jktstrWithStdout(String... args) {
        CommandLine cl = Jktstr.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        int exit;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            exit = cl.execute(args);
        } finally {
            System.setOut(stdout);
        }
        return new Run(exit, out.toString(java.nio.charset.StandardCharsets.UTF_8), err.toString());
    }

    @Test
    void badInputIsRejectedBeforeBootNamingTheField() {
        Run unknown = jktstr("run", "nosuch", "--kernel", "/nonexistent");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("scenario: no scenario named 'nosuch'").contains("steady");
        Run duration = jktstr("run", "steady", "--duration", "-3s", "--kernel", "/nonexistent");
        assertThat(duration.exit()).isEqualTo(2);
        assertThat(duration.err()).contains("--duration");
        Run topo = jktstr("run", "steady", "--topology", "1,1,0,1", "--kernel", "/nonexistent");
        assertThat(topo.exit()).isEqualTo(2);
        assertThat(topo.err()).contains("--topology");
        Run sched = jktstr("run", "steady", "--scheduler", "/nonexistent/scx", "--kernel", "/nonexistent");
        assertThat(sched.exit()).isEqualTo(2);
        assertThat(sched.err()).contains("scheduler: no scheduler binary at /nonexistent/scx");
    }

    /** A scheduler the guest could not run costs no boot: refused with what it is (the kernel here does not exist). */
    @Test
    void schedulersThatAreNotStaticX86ElfsAreRefusedBeforeBoot(@TempDir Path dir) throws Exception {
        Path garbage = Files.write(dir.resolve("notelf"), new byte[] {(byte) 0x91, 0x2a, 0x3f, 0x1b, '[', '2', 'J', 0});
        Run notElf = jktstr("run", "steady", "--scheduler", garbage.toString(), "--kernel", "/nonexistent");
        assertThat(notElf.exit()).isEqualTo(2);
        assertThat(notElf.err()).contains("scheduler: " + garbage + " must be a statically linked x86-64 ELF")
                .contains("it is not an ELF file (it starts with 91 2a 3f 1b 5b 32 4a 00)").doesNotContain("\u001b");
        Path dyn = Files.write(dir.resolve("scx_dyn"), TinyElf.dynamic("/lib64/ld-linux-x86-64.so.2"));
        Run dynamic = jktstr("run", "steady", "--scheduler", dyn.toString(), "--kernel", "/nonexistent");
        assertThat(dynamic.exit()).isEqualTo(2);
        assertThat(dynamic.err()).contains("scheduler: " + dyn + " must be a statically linked x86-64 ELF")
                .contains("it is a dynamically linked x86-64 ELF (interpreter /lib64/ld-linux-x86-64.so.2)");
        Path script = Files.writeString(dir.resolve("scx_sh"), "#!/bin/sh\nexec /bin/scx_simple\n");
        assertThat(jktstr("run", "steady", "--scheduler", script.toString(), "--kernel", "/nonexistent").err())
                .contains("it is a script (#!/bin/sh)");
        assertThat(notElf.err() + dynamic.err()).doesNotContain("booting").doesNotContain("kernel");
    }

    /**
     * A watch the scheduler's BPF object does not declare costs no boot: refused naming the nearest names it does
     * (the kernel here does not exist, so a watch that passes gets as far as the kernel lookup).
     */
    @Test
    void watchesTheSchedulerCannotServeAreRefusedBeforeBoot() {
        String simple = SharedAssets.requireScheduler("scx_simple").toString();
        Run bad = jktstr("run", "steady", "--scheduler", simple, "--watch", "stats[1]", "--watch", "stat[1]",
                "--kernel", "/nonexistent");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("watch stat[1]: scheduler scx_simple has no BPF map 'stat'; nearest: stats")
                .doesNotContain("booting");
        Run key = jktstr("run", "steady", "--scheduler", simple, "--watch", "stats[2]", "--kernel", "/nonexistent");
        assertThat(key.err()).contains("watch stats[2]: map stats of scheduler scx_simple has 2 entries: keys 0..1, not 2");
        Run syntax = jktstr("run", "steady", "--scheduler", simple, "--watch", "stats", "--kernel", "/nonexistent");
        assertThat(syntax.exit()).isEqualTo(2);
        assertThat(syntax.err()).contains("watch: 'stats' is not MAP[KEY] or MAP[KEY].FIELD.PATH");
        Run good = jktstr("run", "steady", "--scheduler", simple, "--watch", "stats[1]", "--kernel", "/nonexistent");
        assertThat(good.exit()).isEqualTo(2);
        assertThat(good.err()).contains("/nonexistent").doesNotContain("watch").doesNotContain("booting");
    }

    /** Every work type once, ktstr's name and one line; nothing boots (the kernel here does not exist). */
    @Test
    void listWorkTypesPrintsEveryTypeOnItsOwnLine() {
        Run list = jktstr("run", "--list-work-types", "--kernel", "/nonexistent");
        assertThat(list.exit()).isZero();
        java.util.List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(dev.jktstr.guest.WorkloadType.values().length).hasSizeGreaterThanOrEqualTo(42);
        assertThat(lines).anyMatch(l -> l.startsWith("SpinWait ")).anyMatch(l -> l.startsWith("ThunderingHerd "))
                .anyMatch(l -> l.startsWith("ProducerConsumerImbalance ")).allMatch(l -> l.matches("[A-Z][A-Za-z]+ +\\S.*"));
        Run none = jktstr("run", "--kernel", "/nonexistent");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("SCENARIO").contains("--list-work-types");
    }

    @Test
    void durations() {
        assertThat(RunCommand.parseDuration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(RunCommand.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(RunCommand.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(RunCommand.parseDuration("1.5")).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void statsCompareReportsDeltas(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.json"), b = dir.resolve("b.json");
        Files.writeString(a, """
                {"version":1,"scenario":"steady","cgroups":[{"name":"cg_0","metrics":{"maxGapMs":10.0,"totalWorkUnits":1000}}]}""");
        Files.writeString(b, """
                {"version":1,"scenario":"steady","cgroups":[{"name":"cg_0","metrics":{"maxGapMs":15.0,"totalWorkUnits":900}}]}""");
        Run r = jktstr("stats", "compare", a.toString(), b.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("steady/cg_0.maxGapMs\\s+10\\s+15\\s+5\\s+\\+50.0%")
                .containsPattern("steady/cg_0.totalWorkUnits\\s+1000\\s+900\\s+-100\\s+-10.0%");
        Run missing = jktstr("stats", "compare", a.toString(), dir.resolve("none").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no result file or directory");
    }

    /** The README's main job: a real run under QEMU, verdict table, result file and exit code. */
    @BootsVm
    @Test
    void runsTheSteadyScenarioInAGuest(@TempDir Path dir) throws Exception {
        Path kernel = SharedAssets.requireKernelDir();
        SharedAssets.requireBzImage();
        HostProgram.require("qemu-system-x86_64", "apt-get install qemu-system-x86");
        Path result = dir.resolve("steady.json");
        Run r = jktstr("run", "steady", "--kernel", kernel.toString(), "--topology", "1,1,2,1", "--memory", "256",
                "--duration", "4s", "--output", result.toString());
        System.out.println(r.err() + r.out());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("cg_0.maxGapMs").contains("verdict: PASS").contains("result: " + result);
        assertThat(r.err()).contains("step 1/1");
        // not a terminal: whole lines, at most every 3 s; the one after 3 s carries the live numbers
        assertThat(r.err()).doesNotContain("\r");
        assertThat(r.err().lines().filter(l -> l.startsWith("step 1/1")).toList()).hasSizeBetween(1, 3)
                .anySatisfy(l -> assertThat(l).contains("2 workers").contains("units/s").contains("worst gap"));
        assertThat(result).isRegularFile();
        // format v2: the scenario, the monitor's samples per CPU and each cgroup's progress, with timestamps
        String json = Files.readString(result);
        assertThat(json).contains("\"version\" : 2").contains("\"scenarioDefinition\"").contains("\"cpu\" : 1,")
                .containsPattern("\"nrRunning\" : \\[ \\d").containsPattern("\"cgroup\" : \"cg_0\",\\s*\"atMs\" : \\[ \\d")
                .doesNotContain("\"NaN\"");
        // and the report of that directory charts them
        Run report = jktstr("report", dir.toString());
        assertThat(report.exit()).as(report.err()).isZero();
        assertThat(report.out()).contains("(1 runs, ");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("data-chart=\"nrRunning\"")
                .contains("data-chart=\"progress\"");
    }
}
