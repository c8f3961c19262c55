package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.HostProgram;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command on a fresh machine: the launcher installs what a run needs through
 * {@code scripts/install-deps.sh --run}, says what and why, and without root or sudo prints the one command to run.
 * The script runs for real with a PATH of its own: QEMU left out (so it is "missing"), {@code id}, {@code sudo} and
 * {@code apt-get} faked (apt-get only records its arguments). Needs gcc, setpriv and a static /bin/busybox, as any
 * machine set up for jktstr has.
 */
class LauncherSetupTest {
    static final Path ROOT = Path.of(System.getProperty("jktstr.repo.root", "..")).toAbsolutePath().normalize();
    static final Path SCRIPT = ROOT.resolve("scripts/install-deps.sh");

    @TempDir
    Path dir;
    Path bin;
    Path aptLog;

    record Result(int exit, String err) {}

    @BeforeEach
    void machineWithoutQemu() throws IOException {
        bin = Files.createDirectories(dir.resolve("bin"));
        aptLog = dir.resolve("apt.log");
        for (String tool : List.of("bash", "env", "head", "tr", "dirname", "gcc", "setpriv")) {
            Optional<Path> real = HostProgram.find(tool);
            assumeTrue(real.isPresent(), tool + " not on PATH");
            Files.createSymbolicLink(bin.resolve(tool), real.get());
        }
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "no /bin/busybox (apt-get install busybox-static)");
        script("apt-get", "echo \"$*\" >> " + aptLog);
    }

    private void script(String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/bash\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Result installDeps(String mode) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", SCRIPT.toString(), mode).redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().put("PATH", bin.toString());
        Process p = pb.start();
        p.getOutputStream().close(); // not a terminal: sudo could not ask for a password
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), err);
    }

    private String aptCalls() throws IOException {
        return Files.exists(aptLog) ? Files.readString(aptLog) : "";
    }

    @Test
    void withoutRootOrSudoItRefusesAndPrintsTheOneCommand() throws Exception {
        script("id", "echo 1000");
        Result r = installDeps("--run");
        assertThat(r.exit()).as(r.err()).isEqualTo(3);
        assertThat(r.err()).contains("this run needs qemu-system-x86 (qemu-system-x86: qemu-system-x86_64 boots the guest)")
                .contains("needs root").contains("su -c '" + SCRIPT + " --run'");
        assertThat(aptCalls()).isEmpty();
        script("sudo", "exit 1"); // sudo that wants a password, no terminal to ask on
        Result withSudo = installDeps("--run");
        assertThat(withSudo.exit()).isEqualTo(3);
        assertThat(withSudo.err()).contains("    sudo " + SCRIPT + " --run");
        assertThat(aptCalls()).isEmpty();
    }

    @Test
    void withSudoItSaysWhatItInstallsAndInstallsOnlyThat() throws Exception {
        script("id", "echo 1000");
        script("sudo", "[ \"$1\" = -n ] && shift; \"$@\""); // runs its command (bash runs the builtin true)
        Result r = installDeps("--run");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("this run needs qemu-system-x86 (").contains("installing them with sudo apt-get");
        assertThat(aptCalls()).contains("update").contains("install -y -q --no-install-recommends qemu-system-x86\n");
    }

    @Test
    void asRootItInstallsWithAptGet() throws Exception {
        script("id", "echo 0");
        Result r = installDeps("--run");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("installing them with apt-get");
        assertThat(aptCalls()).contains("install -y -q --no-install-recommends qemu-system-x86\n");
    }

    @Test
    void nothingMissingNothingSaid() throws Exception {
        script("id", "echo 1000");
        Result build = installDeps("--build"); // building needs no QEMU
        assertThat(build.exit()).as(build.err()).isZero();
        assertThat(build.err()).isEmpty();
        script("qemu-system-x86_64", "exit 0"); // QEMU from elsewhere counts
        Result run = installDeps("--run");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(aptCalls()).isEmpty();
    }

    /** The README's first command is the run itself (doctor is a hint beside it, not a gate before it). */
    @Test
    void readmeFirstCommandIsTheRunAndTheLauncherInstallsForIt() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String first = readme.lines().filter(l -> l.startsWith("    ./jktstr") || l.startsWith("    scripts/")).findFirst().orElseThrow();
        assertThat(first.strip()).startsWith("./jktstr run steady ").doesNotContain("doctor").doesNotContain("&&");
        assertThat(readme).contains("    scripts/test.sh");
        String launcher = Files.readString(ROOT.resolve("jktstr"));
        assertThat(launcher).contains("run|gauntlet|boot|shell|inspect|nested-kvm) deps=\"--run\"").contains("scripts/install-deps.sh\" \"$deps\"");
    }
}
