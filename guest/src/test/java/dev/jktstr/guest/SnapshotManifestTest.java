package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotManifestTest {

    @TempDir
    Path dir;

    private static SnapshotKey key() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("format", "1");
        c.put("cmdline", "quiet a=b c:d \\x #not-a-comment \u00e9");
        c.put("kernel", "sha256:00ff");
        c.put("distances", "[[10, 20], [20, 10]]");
        return new SnapshotKey(c);
    }

    private Path state(int bytes) throws IOException {
        byte[] b = new byte[bytes];
        new Random(7).nextBytes(b);
        return Files.write(dir.resolve("state.bin"), b);
    }

    @Test
    void roundTripKeepsTheKeyInOrderAndTheSizeAndChecksum() throws IOException {
        Path state = state(7 << 20);
        SnapshotManifest m = SnapshotManifest.of(key(), state);
        CRC32C oracle = new CRC32C(); // the first 4 MiB and the last 1 MiB
        byte[] all = Files.readAllBytes(state);
        oracle.update(all, 0, 4 << 20);
        oracle.update(all, 6 << 20, 1 << 20);
        assertThat(m.stateCrc32c()).isEqualTo(oracle.getValue());
        assertThat(m.stateSize()).isEqualTo(7 << 20);

        Path file = dir.resolve(SnapshotManifest.FILE);
        m.write(file);
        SnapshotManifest back = SnapshotManifest.read(file);
        assertThat(back).isEqualTo(m);
        assertThat(back.key().components().keySet()).containsExactly("format", "cmdline", "kernel", "distances");
        assertThat(back.check(state)).isEmpty();
    }

    @Test
    void aTruncatedGrownOrDamagedStateFileIsNamed() throws IOException {
        Path state = state(1 << 20);
        SnapshotManifest m = SnapshotManifest.of(key(), state);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.setLength(1000);
        }
        assertThat(m.check(state)).hasValue("the state file is 1000 bytes, the manifest says 1048576 (truncated)");
        state(1 << 20);
        Files.write(state, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        assertThat(m.check(state)).hasValue("the state file is 1048577 bytes, the manifest says 1048576");
        state(1 << 20);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.seek(777_777);
            int b = f.read();
            f.seek(777_777);
            f.write(b ^ 0x10);
        }
        assertThat(m.check(state)).hasValueSatisfying(r -> assertThat(r).endsWith("(damaged)"));
        Files.delete(state);
        assertThat(m.check(state)).hasValueSatisfying(r -> assertThat(r).contains("is missing"));
    }

    @Test
    void aMalformedIncompleteOrOversizedManifestIsAnIoExceptionNamingIt() throws IOException {
        Path file = dir.resolve(SnapshotManifest.FILE);
        Files.writeString(file, "state.size=12\nkey.format=1\n");
        assertThatThrownBy(() -> SnapshotManifest.read(file)).isInstanceOf(IOException.class).hasMessageContaining("lacks state.crc32c");
        Files.writeString(file, "state.size=twelve\nstate.crc32c=ff\nkey.format=1\n");
        assertThatThrownBy(() -> SnapshotManifest.read(file)).isInstanceOf(IOException.class).hasMessageContaining("malformed number");
        Files.writeString(file, "state.size=12\nstate.crc32c=ff\n");
        assertThatThrownBy(() -> SnapshotManifest.read(file)).isInstanceOf(IOException.class).hasMessageContaining("no key");
        Files.writeString(file, "state.size=12\nstate.crc32c=ff\nkey.Bad Name=1\n");
        assertThatThrownBy(() -> SnapshotManifest.read(file)).isInstanceOf(IOException.class);
        Files.write(file, "x=".concat("y".repeat(70_000)).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> SnapshotManifest.read(file)).isInstanceOf(IOException.class).hasMessageContaining("larger than");
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, '\\', 'u', 'z'});
        assertThatThrownBy(() -> SnapshotManifest.read(file)).isInstanceOf(IOException.class);
    }
}
