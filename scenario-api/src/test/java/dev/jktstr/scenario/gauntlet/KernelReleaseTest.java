package dev.jktstr.scenario.gauntlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release a gauntlet's index names a kernel by, read from the bzImage header without booting. */
class KernelReleaseTest {

    @Test
    void readsTheSetupHeadersVersionString(@TempDir Path dir) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(0x400).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x202, 0x53726448); // "HdrS"
        b.putShort(0x20E, (short) 0x100);
        b.put(0x300, "6.1.2-test (u@h) #1 SMP".getBytes());
        Path image = Files.write(Files.createDirectories(dir.resolve("k")).resolve("bzImage"), b.array());
        assertThat(KernelRelease.of(image)).isEqualTo("6.1.2-test");
        // not a bzImage (or a hostile one): the directory's name, never garbage
        b.put(0x300, "\u001b[2J".getBytes());
        assertThat(KernelRelease.of(Files.write(image, b.array()))).isEqualTo("k");
        assertThat(KernelRelease.of(Files.write(image, new byte[10]))).isEqualTo("k");
    }

    /** Oracle: file(1)'s reading of the shared kernel's header. */
    @Test
    void agreesWithFileOnTheSharedKernel() throws Exception {
        Path image = SharedAssets.requireBzImage();
        Path file = HostProgram.require("file", "apt-get install file");
        Process p = new ProcessBuilder(file.toString(), "-b", image.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        Matcher m = Pattern.compile("version (\\S+)").matcher(out);
        org.junit.jupiter.api.Assumptions.assumeTrue(m.find(), "file(1) does not read bzImage versions here: " + out);
        assertThat(KernelRelease.of(image)).isEqualTo(m.group(1));
    }
}
