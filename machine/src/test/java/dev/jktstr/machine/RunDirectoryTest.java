package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {

    @Test
    void currentIsPrivateToThisJvmAndStable() throws Exception {
        Path dir = RunDirectory.current();
        assertThat(dir.getFileName().toString()).isEqualTo("jktstr-" + ProcessHandle.current().pid());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(RunDirectory.current()).isEqualTo(dir);
    }

    @Test
    void sweepRemovesTheDirectoriesOfDeadJvmsOnly(@TempDir Path tmp) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path dead = Files.createDirectories(tmp.resolve("jktstr-" + gone.pid()).resolve("nested"));
        Files.writeString(dead.resolve("initramfs-1.cpio.gz"), "left by a killed JVM");
        Path alive = Files.createDirectories(tmp.resolve("jktstr-" + ProcessHandle.current().parent().orElseThrow().pid()));
        Path unrelated = Files.createDirectories(tmp.resolve("jktstr-cache"));

        assertThat(RunDirectory.sweepStale(tmp)).isEqualTo(1);

        assertThat(tmp.resolve("jktstr-" + gone.pid())).doesNotExist();
        assertThat(alive).isDirectory();
        assertThat(unrelated).isDirectory();
    }
}
