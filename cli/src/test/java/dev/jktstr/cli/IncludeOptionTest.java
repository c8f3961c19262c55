package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.guest.Include;
import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code -i/--include HOST[:GUEST]} on every command that boots: parsed, a missing path refused before boot. */
class IncludeOptionTest {

    @Test
    void includesParseOnEveryBootingCommand() {
        ShellCommand shell = new ShellCommand();
        new CommandLine(shell).parseArgs("-i", "test.sh", "--include", "assets:/opt/assets", "--exec", "test.sh");
        assertThat(shell.machine.includes).containsExactly("test.sh", "assets:/opt/assets");
        BootCommand boot = new BootCommand();
        new CommandLine(boot).parseArgs("--include", "x");
        assertThat(boot.machine.includes).containsExactly("x");
    }

    @Test
    void aMissingIncludeIsRefusedBeforeAnythingBootsNamingIt(@TempDir Path dir) {
        String missing = dir.resolve("no-such-test.sh").toString();
        for (List<String> cmd : List.of(List.of("shell", "-i", missing, "--exec", "true"), List.of("boot", "--include", missing),
                List.of("run", "steady", "--include", missing + ":/opt/t"))) {
            List<String> args = new java.util.ArrayList<>(cmd);
            args.addAll(List.of("--kernel", "/nonexistent")); // the include is refused before the kernel is looked up
            Run r = RunCommandTest.jktstr(args.toArray(String[]::new));
            assertThat(r.exit()).as(cmd.toString()).isEqualTo(2);
            assertThat(r.err()).as(cmd.toString()).contains("include: no file or directory at " + missing)
                    .doesNotContain("/nonexistent");
        }
    }

    /** {@code jktstr shell -i SCRIPT --exec SCRIPT}: the included script is in the guest, on its PATH, byte for byte. */
    @Test
    @BootsVm
    void anIncludedScriptRunsByNameInTheGuest(@TempDir Path dir) throws Exception {
        Path kernel = SchedulerFailureTest.kernel();
        Path script = Files.writeString(dir.resolve("hello-test.sh"), "#!/bin/sh\necho \"hello from $0\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = RunCommandTest.jktstrWithStdout("shell", "--kernel", kernel.toString(), "--memory", "256", "-i",
                script.toString(), "--exec",
                "hello-test.sh; cmp /include/hello-test.sh \"$(command -v hello-test.sh)\" && echo same-file");
        assertThat(r.exit()).as("exit status; stderr: %s", r.err()).isZero();
        assertThat(r.out()).contains("hello from /include/hello-test.sh").contains("same-file");
        assertThat(Include.DEFAULT_DIR).isEqualTo("/include");
    }
}
