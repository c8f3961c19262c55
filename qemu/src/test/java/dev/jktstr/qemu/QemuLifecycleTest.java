package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Boot and close many times: nothing may be left behind. */
@BootsVm
class QemuLifecycleTest {

    @Test
    void fiftyBootCloseCyclesLeaveNoProcessAndNoFile() throws IOException {
        QemuBackend backend = TestGuests.tcg();
        MachineSpec spec = MachineSpec.builder(TestGuests.bzImage()).memoryPerNodeMib(64)
                .topology(new dev.jktstr.machine.Topology(2, 1, 1, 1)).build();
        List<Path> tempBefore = ourTempDirs();
        for (int i = 0; i < 50; i++) {
            try (Machine m = backend.boot(spec)) {
                assertThat(m.memory().ramSize()).isPositive();
            }
        }
        assertThat(ProcessHandle.current().descendants()
                .filter(p -> p.info().command().orElse("").contains("qemu")).toList())
                .as("qemu processes left").isEmpty();
        assertThat(filesOf(ProcessHandle.current().pid())).as("guest RAM files left").isEmpty();
        assertThat(ourTempDirs()).as("temp dirs left").isEqualTo(tempBefore);
        assertThat(QemuProcesses.liveCount()).isZero();
    }

    /** SIGKILL of the JVM: no shutdown hook runs, yet QEMU dies (parent-death signal) and no file stays. */
    @Test
    void qemuDiesWithAKilledJvmAndLeavesNoFiles() throws Exception {
        TestGuests.assumeQemu();
        Path kernel = TestGuests.bzImage();
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), BootAndWait.class.getName(), kernel.toString())
                .redirectErrorStream(true).start();
        try {
            String line;
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()));
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith("QEMU "));
            assertThat(line).as("child reported its QEMU").isNotNull();
            long qemuPid = Long.parseLong(line.substring(5).strip());
            ProcessHandle qemu = ProcessHandle.of(qemuPid).orElseThrow();
            // Once booted, the child's files are already gone: sockets and RAM files are unlinked early.
            assertThat(filesOf(child.pid())).isEmpty();
            child.destroyForcibly();
            child.waitFor();
            qemu.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(qemu.isAlive()).isFalse();
            assertThat(filesOf(child.pid())).isEmpty();
        } finally {
            child.destroyForcibly();
        }
    }

    /** Guest RAM files of a JVM, wherever the backend put them (/dev/shm, or the temp dir when that is full). */
    private static List<Path> filesOf(long pid) throws IOException {
        List<Path> found = new java.util.ArrayList<>();
        for (Path dir : List.of(Path.of("/dev/shm"), Path.of(System.getProperty("java.io.tmpdir")))) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().startsWith("jktstr-" + pid + "-")).forEach(found::add);
            }
        }
        return found;
    }

    private static List<Path> ourTempDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("jktstr-qemu-")).sorted().toList();
        }
    }
}
