package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host files and directories into the initramfs: where they land, their modes, and a missing one refused by name. */
class IncludeTest {

    @Test
    void parseSplitsHostAndGuestAtTheLastColonSlash() {
        assertThat(Include.parse("/tmp/test.sh")).isEqualTo(new Include(Path.of("/tmp/test.sh"), "/include/test.sh"));
        assertThat(Include.parse("data/x.bin:/opt/x")).isEqualTo(new Include(Path.of("data/x.bin"), "/opt/x"));
        assertThat(Include.parse("/a:b/file:/guest/f")).isEqualTo(new Include(Path.of("/a:b/file"), "/guest/f"));
        assertThat(Include.parse("/a:b")).isEqualTo(new Include(Path.of("/a:b"), "/include/a:b"));
        assertThatThrownBy(() -> Include.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Include(Path.of("/x"), "relative/y")).hasMessageContaining("must be absolute");
        assertThatThrownBy(() -> new Include(Path.of("/x"), "/a/../b")).hasMessageContaining("'..'");
    }

    @Test
    void aMissingPathIsRefusedNamingIt(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-script.sh");
        assertThatThrownBy(() -> Include.of(missing).check()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("include: no file or directory at " + missing);
        assertThatThrownBy(() -> GuestImage.builder().include(Include.of(missing)))
                .hasMessageContaining(missing.toString());
    }

    @Test
    void filesAndTreesLandWithTheirModesAndLinks(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("run.sh"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path tree = Files.createDirectories(dir.resolve("assets"));
        Files.writeString(Files.createDirectories(tree.resolve("sub")).resolve("data.txt"), "payload data");
        Files.createSymbolicLink(tree.resolve("link"), Path.of("sub/data.txt"));
        Path initramfs;
        try (GuestImage image = GuestImage.builder().include(Include.of(script))
                .include(Include.parse(tree + ":/opt/assets")).build()) {
            initramfs = image.initramfs();
            Map<String, InitramfsReader.Entry> byName = InitramfsReader.read(initramfs).stream()
                    .collect(Collectors.toMap(InitramfsReader.Entry::name, Function.identity()));
            assertThat(byName.get("include/run.sh").data()).isEqualTo(Files.readAllBytes(script));
            assertThat(byName.get("include/run.sh").permissions()).isEqualTo(0755);
            assertThat(byName.get("opt/assets").isDirectory()).isTrue();
            assertThat(byName.get("opt/assets/sub/data.txt").permissions()).isEqualTo(0644);
            assertThat(new String(byName.get("opt/assets/sub/data.txt").data(), StandardCharsets.UTF_8)).isEqualTo("payload data");
            assertThat(byName.get("opt/assets/link").isSymlink()).isTrue();
            assertThat(new String(byName.get("opt/assets/link").data(), StandardCharsets.UTF_8)).isEqualTo("sub/data.txt");
        }
        assertThat(initramfs).doesNotExist();
    }
}
