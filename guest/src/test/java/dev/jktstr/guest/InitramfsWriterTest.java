package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.testsupport.HostProgram;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsWriterTest {

    static byte[] sample(InitramfsWriter.Compression c, Path hostFile) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InitramfsWriter w = InitramfsWriter.open(out, c)) {
            w.addDirectory("/etc", 0755)
                    .addFile("/etc/hostname", "guest\n".getBytes(StandardCharsets.US_ASCII), 0644)
                    .addFile("/deep/nested/run.sh", "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.US_ASCII), 0750)
                    .addFile("/bin/tool", hostFile, 0755)
                    .addSymlink("/bin/sh", "/bin/tool")
                    .addCharDevice("/dev/console", 0600, 5, 1)
                    .addFile("/odd", new byte[] {1, 2, 3}, 04711)
                    .addFile("/empty", new byte[0], 0600);
        }
        return out.toByteArray();
    }

    static Path hostFile(Path dir) throws IOException {
        byte[] data = new byte[70_001];
        new Random(3).nextBytes(data);
        return Files.write(dir.resolve("tool"), data);
    }

    @Test
    void cpioToolExtractsWhatWasWritten(@TempDir Path dir) throws Exception {
        HostProgram.require("cpio", "apt-get install cpio");
        Path src = hostFile(dir);
        Path archive = Files.write(dir.resolve("a.cpio"), sample(InitramfsWriter.Compression.NONE, src));
        Path root = Files.createDirectory(dir.resolve("root"));
        Process p = new ProcessBuilder("cpio", "-idmv", "--no-absolute-filenames", "-F", archive.toString())
                .directory(root.toFile()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(Files.readString(root.resolve("etc/hostname"))).isEqualTo("guest\n");
        assertThat(Files.readAllBytes(root.resolve("bin/tool"))).isEqualTo(Files.readAllBytes(src));
        assertThat(Files.readString(root.resolve("deep/nested/run.sh"))).startsWith("#!/bin/sh");
        assertThat(mode(root.resolve("deep/nested/run.sh"))).isEqualTo(0750);
        assertThat(mode(root.resolve("deep/nested"))).isEqualTo(0755);
        assertThat(mode(root.resolve("odd"))).isEqualTo(04711);
        assertThat(Files.readSymbolicLink(root.resolve("bin/sh"))).isEqualTo(Path.of("/bin/tool"));
        assertThat(Files.size(root.resolve("empty"))).isZero();
        if ("root".equals(System.getProperty("user.name"))) {
            // Only root can mknod; cpio then creates the real node.
            assertThat(Files.getAttribute(root.resolve("dev/console"), "unix:rdev", LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo((long) (5 << 8 | 1));
        }
    }

    @Test
    void cpioToolListsTheGzipArchive(@TempDir Path dir) throws Exception {
        HostProgram.require("cpio", "apt-get install cpio");
        byte[] gz = sample(InitramfsWriter.Compression.GZIP, hostFile(dir));
        byte[] plain = new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes();
        Path archive = Files.write(dir.resolve("a.cpio"), plain);
        Process p = new ProcessBuilder("cpio", "-t", "-F", archive.toString()).redirectErrorStream(true).start();
        List<String> names = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.endsWith("blocks")).toList();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(names).containsExactly("etc", "etc/hostname", "deep", "deep/nested", "deep/nested/run.sh", "bin",
                "bin/tool", "bin/sh", "dev", "dev/console", "odd", "empty");
    }

    @Test
    void gzipHoldsTheSameArchiveAndOutputIsDeterministic(@TempDir Path dir) throws Exception {
        Path src = hostFile(dir);
        byte[] plain = sample(InitramfsWriter.Compression.NONE, src);
        byte[] gz = sample(InitramfsWriter.Compression.GZIP, src);
        assertThat(new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes()).isEqualTo(plain);
        assertThat(sample(InitramfsWriter.Compression.GZIP, src)).isEqualTo(gz);
        assertThat(plain.length % 512).isZero();
    }

    @Test
    void readerSeesEntriesInOrderWithModesAndDevices(@TempDir Path dir) throws Exception {
        List<InitramfsReader.Entry> entries = InitramfsReader.read(
                new ByteArrayInputStream(sample(InitramfsWriter.Compression.GZIP, hostFile(dir))));
        assertThat(entries).extracting(InitramfsReader.Entry::name).startsWith("etc", "etc/hostname", "deep");
        InitramfsReader.Entry console = entries.stream().filter(e -> e.name().equals("dev/console")).findFirst().orElseThrow();
        assertThat(console.isCharDevice()).isTrue();
        assertThat(console.rdevMajor()).isEqualTo(5);
        assertThat(console.rdevMinor()).isEqualTo(1);
        InitramfsReader.Entry link = entries.stream().filter(e -> e.name().equals("bin/sh")).findFirst().orElseThrow();
        assertThat(link.isSymlink()).isTrue();
        assertThat(new String(link.data(), StandardCharsets.UTF_8)).isEqualTo("/bin/tool");
    }

    @Test
    void readerAcceptsConcatenatedArchivesLikeTheKernel() throws Exception {
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        try (InitramfsWriter w = InitramfsWriter.open(first, InitramfsWriter.Compression.NONE)) {
            w.addFile("a", new byte[] {1}, 0644);
        }
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        try (InitramfsWriter w = InitramfsWriter.open(second, InitramfsWriter.Compression.NONE)) {
            w.addFile("b", new byte[] {2}, 0644);
        }
        first.writeBytes(second.toByteArray());
        assertThat(InitramfsReader.read(new ByteArrayInputStream(first.toByteArray())))
                .extracting(InitramfsReader.Entry::name).containsExactly("a", "b");
        byte[] garbage = java.util.Arrays.copyOf(first.toByteArray(), first.size() + 3);
        garbage[garbage.length - 1] = 'x';
        assertThatThrownBy(() -> InitramfsReader.read(new ByteArrayInputStream(garbage))).isInstanceOf(InitramfsException.class);
    }

    @Test
    void badNamesModesAndDuplicatesAreTypedErrors() {
        InitramfsWriter w = InitramfsWriter.open(new ByteArrayOutputStream(), InitramfsWriter.Compression.NONE);
        assertThatThrownBy(() -> w.addFile("", new byte[0], 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("/", new byte[0], 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("a/../b", new byte[0], 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("a//b", new byte[0], 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("a\0b", new byte[0], 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("TRAILER!!!", new byte[0], 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("x".repeat(5000), new byte[0], 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("f", new byte[0], 0100644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addCharDevice("d", 0600, -1, 0)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addSymlink("l", "")).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> w.addFile("missing", Path.of("/nonexistent/file"), 0644)).isInstanceOf(InitramfsException.class);
        w.addFile("f", new byte[1], 0644);
        assertThatThrownBy(() -> w.addFile("/f", new byte[1], 0644)).isInstanceOf(InitramfsException.class)
                .hasMessageContaining("duplicate");
        assertThatThrownBy(() -> w.addFile("f/child", new byte[1], 0644)).isInstanceOf(InitramfsException.class)
                .hasMessageContaining("not a directory");
        w.addDirectory("dir", 0755).addDirectory("dir/", 0700); // already there: no-op
        w.close();
        assertThatThrownBy(() -> w.addFile("g", new byte[1], 0644)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void corruptArchivesAreTypedErrors(@TempDir Path dir) throws Exception {
        byte[] good = sample(InitramfsWriter.Compression.NONE, hostFile(dir));
        assertThatThrownBy(() -> InitramfsReader.read(new ByteArrayInputStream(new byte[0])))
                .isInstanceOf(InitramfsException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> InitramfsReader.read(new ByteArrayInputStream(java.util.Arrays.copyOf(good, 5000))))
                .isInstanceOf(InitramfsException.class).hasMessageContaining("truncated");
        byte[] badMagic = good.clone();
        badMagic[3] = '9';
        assertThatThrownBy(() -> InitramfsReader.read(new ByteArrayInputStream(badMagic)))
                .isInstanceOf(InitramfsException.class).hasMessageContaining("magic");
        byte[] badHex = good.clone();
        badHex[20] = 'z';
        assertThatThrownBy(() -> InitramfsReader.read(new ByteArrayInputStream(badHex)))
                .isInstanceOf(InitramfsException.class).hasMessageContaining("hex");
        byte[] gz = sample(InitramfsWriter.Compression.GZIP, dir.resolve("tool"));
        byte[] badGz = gz.clone();
        badGz[gz.length / 2] ^= 0x55;
        assertThatThrownBy(() -> InitramfsReader.read(new ByteArrayInputStream(badGz))).isInstanceOf(InitramfsException.class);
    }

    @Test
    void fuzzedArchivesNeverEscapeAsOtherExceptions(@TempDir Path dir) throws Exception {
        byte[] good = sample(InitramfsWriter.Compression.NONE, hostFile(dir));
        Random random = new Random(99);
        int rejected = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] bad = good.clone();
            for (int k = 1 + random.nextInt(4); k > 0; k--) {
                // Mostly hit the header area, where the interesting fields are.
                int at = random.nextInt(4) == 0 ? random.nextInt(bad.length) : random.nextInt(Math.min(bad.length, 400));
                bad[at] = (byte) random.nextInt(256);
            }
            try {
                InitramfsReader.read(new ByteArrayInputStream(bad));
            } catch (InitramfsException e) {
                rejected++;
            }
        }
        assertThat(rejected).isPositive();
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }
}
