package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.testsupport.TinyElf;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Bad input fails before anything boots; the end-to-end path is covered by memory-introspection's tests. */
class InspectCommandTest {

    @Test
    void intervalsParse() {
        assertThat(InspectCommand.parseInterval("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(InspectCommand.parseInterval("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(InspectCommand.parseInterval("0.25s")).isEqualTo(Duration.ofMillis(250));
        assertThat(InspectCommand.parseInterval("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(InspectCommand.parseInterval("750")).isEqualTo(Duration.ofMillis(750));
        assertThatThrownBy(() -> InspectCommand.parseInterval("soon")).hasMessageContaining("--watch");
        assertThatThrownBy(() -> InspectCommand.parseInterval("0ms")).hasMessageContaining("positive");
    }

    @Test
    void missingSchedulerFailsBeforeBooting() {
        CommandLine cl = Jktstr.commandLine();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute("inspect", "--scheduler", "/nonexistent/scx_nothing");
        assertThat(status).isNotZero();
        assertThat(err.toString()).contains("/nonexistent/scx_nothing");
    }

    @Test
    void aSchedulerThatIsNotAStaticElfFailsBeforeBooting(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path dyn = java.nio.file.Files.write(dir.resolve("scx_dyn"), TinyElf.dynamic("/lib64/ld-linux-x86-64.so.2"));
        CommandLine cl = Jktstr.commandLine();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute("inspect", "--kernel", "/nonexistent", "--scheduler", dyn.toString());
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("--scheduler " + dyn + " must be a statically linked x86-64 ELF; it is a"
                + " dynamically linked x86-64 ELF (interpreter /lib64/ld-linux-x86-64.so.2)");
    }

    /**
     * {@code inspect --progs --json} with scx_simple (one QEMU guest, about 20 s): the programs come from prog_idr,
     * the agent turned {@code kernel.bpf_stats_enabled} on before the scheduler started, so its callbacks have run
     * counts; maps and DSQs are left out.
     */
    @org.junit.jupiter.api.Test
    @dev.jktstr.testsupport.BootsVm
    void progsListTheSchedulersProgramsWithRunCounts() {
        java.nio.file.Path kernel = SchedulerFailureTest.kernel();
        java.nio.file.Path simple = dev.jktstr.testsupport.SharedAssets.requireScheduler("scx_simple");
        RunCommandTest.Run r = RunCommandTest.jktstr("inspect", "--kernel", kernel.toString(), "--memory", "256",
                "--scheduler", simple.toString(), "--progs", "--json");
        System.out.println(r.out() + r.err());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"name\":\"simple_enqueue\"").contains("\"attach_to\":\"enqueue\"")
                .contains("\"type\":\"BPF_PROG_TYPE_STRUCT_OPS\"").contains("\"maps\":[]").contains("\"dsqs\":[]")
                .containsPattern("\"attach_to\":\"(running|enable|select_cpu)\"[^}]*\"run_cnt\":[1-9]");
        assertThat(r.out()).doesNotContain("could not turn kernel.bpf_stats_enabled on");
    }
}
