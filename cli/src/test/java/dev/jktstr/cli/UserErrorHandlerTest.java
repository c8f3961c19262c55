package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.GuestText;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** An exception quoting the guest (its stderr, a scheduler's output) prints without the guest's control characters. */
class UserErrorHandlerTest {

    @Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("scheduler did not enable sched_ext:\n\u001b]0;owned\u0007\u009b2J\u202eevil");
        }
    }

    @Test
    void messageIsCleaned() {
        CommandLine cl = new CommandLine(new Fail());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(err.toString().codePoints().filter(c -> GuestText.isControl(c, true))).isEmpty();
        assertThat(err.toString()).isEqualTo("fail: scheduler did not enable sched_ext:\n\\x1b]0;owned\\x07\\x9b2J\\u202eevil"
                + System.lineSeparator());
    }

    /** The scenario API words a missing kernel for Java users; the command line gives its own flags instead. */
    @Test
    void aMissingKernelIsExplainedWithTheCommandLinesFlags() {
        RunCommandTest.Run r = RunCommandTest.jktstr("run", "steady", "--kernel", "/nonexistent/jktstr-kernel", "--duration", "1s");
        assertThat(r.exit()).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(r.err()).contains("run: kernel: --kernel /nonexistent/jktstr-kernel resolves to no kernel; tried:")
                .contains("as a path: /nonexistent/jktstr-kernel: no such file or directory")
                .contains("a key `jktstr kernel list` shows, debian:6.12 or git:TREE@REF").doesNotContain("Vm.builder()");
    }
}
