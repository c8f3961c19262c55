package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.SharedAssets;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BtfCommandTest {

    private static Path kernelFile(String name) {
        return SharedAssets.requireKernelFile(name);
    }

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cl = Jktstr.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void fieldPrintsOffsetSizeAndType() {
        Run r = run("btf", "field", kernelFile("vmlinux").toString(), "task_struct.se.sum_exec_runtime");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("task_struct.se.sum_exec_runtime: offset=224 size=8 type=u64"
                + System.lineSeparator());
    }

    @Test
    void dumpRawFromBzImageStartsLikeBpftool() {
        Run r = run("btf", "dump", kernelFile("bzImage").toString(), "--format", "raw");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("[1] INT 'long unsigned int' size=8 bits_offset=0 nr_bits=64 encoding=(none)\n");
    }

    @Test
    void userErrorsAreOneLine() {
        Run r = run("btf", "field", kernelFile("vmlinux").toString(), "task_struct.no_such_member");
        assertThat(r.status()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(r.err().strip()).isEqualTo(
                "jktstr btf field: 'task_struct.no_such_member': struct task_struct has no member 'no_such_member'");
    }
}
