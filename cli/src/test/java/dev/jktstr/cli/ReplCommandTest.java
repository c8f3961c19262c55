package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.SharedAssets;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jktstr repl} driven as a user would pipe a script into it: a child JVM, the script on its standard input. */
class ReplCommandTest {

    record Session(int exit, String output) {}

    /** Runs {@code jktstr ARGS} in a child JVM on the test class path with {@code script} as its standard input. */
    static Session repl(Path dir, String script, String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", "");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", cp.isEmpty() ? System.getProperty("java.class.path") : cp,
                Jktstr.class.getName(), "repl"));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("repl.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(script.getBytes(StandardCharsets.UTF_8));
            }
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("jktstr repl exited").isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        String out = Files.readString(log);
        System.out.println("jktstr repl printed:\n" + out);
        return new Session(p.exitValue(), out);
    }

    @Test
    void withoutGuestOptionsItImportsTheApiAndBindsNoGuest(@TempDir Path dir) throws Exception {
        Session s = repl(dir, """
                System.out.println("G=" + g);
                System.out.println("TOPO=" + new Topology(1, 2, 2, 1).cpuCount());
                System.out.println("SCENARIOS=" + Scenarios.canned().containsKey("steady"));
                /exit
                """);
        assertThat(s.exit()).isZero();
        assertThat(s.output()).contains("G=null").contains("TOPO=4").contains("SCENARIOS=true").doesNotContain("booting");
    }

    /**
     * The startup snippet compiles against today's API (a rename elsewhere breaks this test, not a user's session), and
     * JShell's completion, working off the same class path, knows our types.
     */
    @Test
    void theStartupSnippetCompilesAndCompletionKnowsOurTypes() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        try (jdk.jshell.JShell js = jdk.jshell.JShell.builder().executionEngine("local").build()) {
            js.addToClasspath(cp);
            jdk.jshell.SourceCodeAnalysis analysis = js.sourceCodeAnalysis();
            String remaining;
            try (var in = ReplCommand.class.getResourceAsStream(ReplCommand.STARTUP)) {
                remaining = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            int snippets = 0;
            while (!remaining.isBlank()) {
                jdk.jshell.SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
                assertThat(info.completeness().isComplete()).as("a complete snippet at: " + remaining).isTrue();
                for (jdk.jshell.SnippetEvent e : js.eval(info.source())) {
                    assertThat(js.diagnostics(e.snippet()).filter(jdk.jshell.Diag::isError).map(d -> d.getMessage(null)).toList())
                            .as(info.source()).isEmpty();
                    assertThat(e.status()).as(info.source()).isIn(jdk.jshell.Snippet.Status.VALID);
                }
                snippets++;
                remaining = info.remaining();
            }
            assertThat(snippets).isGreaterThan(8);
            int[] anchor = new int[1];
            assertThat(analysis.completionSuggestions("Vm.buil", 7, anchor)).extracting(s -> s.continuation())
                    .contains("builder()");
            assertThat(analysis.completionSuggestions("rq(0).nrRu", 10, anchor)).extracting(s -> s.continuation())
                    .contains("nrRunning()");
        }
    }

    @Test
    void badOptionsAreRefusedBeforeAnythingBoots(@TempDir Path dir) throws Exception {
        Session s = repl(dir, "/exit\n", "--scheduler", "/nonexistent/scx_nothing", "--kernel", "/nonexistent");
        assertThat(s.exit()).isEqualTo(2);
        assertThat(s.output()).contains("jktstr repl: ").contains("/nonexistent/scx_nothing").doesNotContain("booting");
    }

    /**
     * The check: a script on standard input boots a guest under scx_simple, reads CPU 0's runqueue and the
     * scheduler's BPF map {@code stats} from guest memory, prints them and exits; no QEMU of the session is left (its
     * kernel command line carries a marker this test looks for among all processes afterwards).
     */
    @Test
    @BootsVm
    void aScriptBootsScxSimpleReadsARunqueueAndABpfMapAndLeavesNothingRunning(@TempDir Path dir) throws Exception {
        Path kernel = SchedulerFailureTest.kernel();
        Path simple = SharedAssets.requireScheduler("scx_simple");
        String marker = "jktstr_repl_test=" + UUID.randomUUID();
        Session s = repl(dir, """
                System.out.println("QEMU_RUNNING=" + ProcessHandle.current().descendants().anyMatch(h -> h.info().commandLine().orElse("").contains("%s")));
                System.out.println("STATE=" + g.schedExtState() + " OPS=" + g.opsName());
                RunqueueState r0 = rq(0);
                System.out.println("RQ0 nr_running=" + r0.nrRunning() + " scx.nr_running=" + r0.scxNrRunning());
                System.out.println("MAPS=" + maps());
                BpfMapState stats = map("stats");
                System.out.println("STATS type=" + stats.type() + " entries=" + stats.entries().size());
                System.out.print(show(stats));
                System.out.println("LOCAL_QUEUED=" + stats.entries().get(0).sumU64(0));
                /exit
                """.formatted(marker), "--kernel", kernel.toString(), "--memory", "256", "--cmdline", "quiet " + marker,
                "--scheduler", simple.toString());
        assertThat(s.exit()).as(s.output()).isZero();
        assertThat(s.output()).contains("QEMU_RUNNING=true").contains("STATE=enabled")
                .containsPattern("RQ0 nr_running=\\d+ scx.nr_running=\\d+")
                .contains("STATS type=BPF_MAP_TYPE_PERCPU_ARRAY entries=2").containsPattern("LOCAL_QUEUED=\\d+")
                .contains("repl: guest powered off");
        List<String> left = ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").contains(marker))
                .map(h -> h.pid() + " " + h.info().commandLine().orElse("")).toList();
        assertThat(left).as("processes of the session still running").isEmpty();
    }
}
