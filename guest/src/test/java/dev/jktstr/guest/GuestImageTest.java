package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestImageTest {

    @Test
    void imageHoldsAgentBusyboxAppletsAndUserFiles(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(GuestImage.DEFAULT_BUSYBOX), "busybox is missing (apt-get install busybox-static)");
        Path extra = Files.writeString(dir.resolve("conf"), "x=1\n");
        Path initramfs;
        try (GuestImage image = GuestImage.builder().withBusybox(true)
                .addFile(extra, "/etc/jktstr/conf", 0600)
                .addBytes("hello".getBytes(StandardCharsets.US_ASCII), "/data/hello.txt", 0644)
                .addSymlink("/data/hello.txt", "/hello")
                .build()) {
            initramfs = image.initramfs();
            assertThat(initramfs).startsWith(Path.of(System.getProperty("java.io.tmpdir")));
            Map<String, InitramfsReader.Entry> byName = InitramfsReader.read(initramfs).stream()
                    .collect(Collectors.toMap(InitramfsReader.Entry::name, Function.identity()));
            assertThat(byName.get("init").data()).isEqualTo(GuestImage.agentBinary());
            assertThat(byName.get("init").permissions()).isEqualTo(0755);
            assertThat(byName.get("bin/busybox").data()).isEqualTo(Files.readAllBytes(GuestImage.DEFAULT_BUSYBOX));
            for (String applet : List.of("bin/sh", "bin/ls", "bin/cat", "bin/echo", "bin/mount", "bin/ps")) {
                assertThat(byName.get(applet)).as(applet).isNotNull();
                assertThat(byName.get(applet).isSymlink()).isTrue();
                assertThat(new String(byName.get(applet).data(), StandardCharsets.UTF_8)).isEqualTo("/bin/busybox");
            }
            assertThat(byName).doesNotContainKey("sbin/init");
            assertThat(byName.get("dev/console").isCharDevice()).isTrue();
            assertThat(byName.get("etc/jktstr/conf").permissions()).isEqualTo(0600);
            assertThat(new String(byName.get("data/hello.txt").data(), StandardCharsets.US_ASCII)).isEqualTo("hello");
            assertThat(byName.get("hello").isSymlink()).isTrue();
        }
        assertThat(initramfs).doesNotExist();
    }

    @Test
    void agentIsAStaticExecutable() {
        byte[] agent = GuestImage.agentBinary();
        assertThat(new String(agent, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("ELF");
        // A static executable has no PT_INTERP, so no dynamic loader path in it.
        assertThat(new String(agent, StandardCharsets.ISO_8859_1)).doesNotContain("/lib64/ld-linux");
    }

    @Test
    void missingBusyboxNamesThePackage(@TempDir Path dir) {
        assertThatThrownBy(() -> GuestImage.builder().withBusybox(dir.resolve("no-busybox")).build())
                .isInstanceOf(GuestException.class).hasMessageContaining("busybox-static");
    }

    @Test
    void imageWithoutBusyboxIsSmallAndBadPathsFailEarly(@TempDir Path dir) throws Exception {
        try (GuestImage image = GuestImage.builder().build()) {
            assertThat(InitramfsReader.read(image.initramfs())).noneMatch(e -> e.name().equals("bin/busybox"));
        }
        assertThatThrownBy(() -> GuestImage.builder().addFile(dir, "../escape", 0644)).isInstanceOf(InitramfsException.class);
        assertThatThrownBy(() -> GuestImage.builder().addFile(dir, "/x", 0644).build())
                .isInstanceOf(InitramfsException.class).hasMessageContaining("not a regular file");
        try (var leftovers = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            // the failed build removed its temp file (names are unique, so only check none is empty and ours)
            assertThat(leftovers.filter(p -> p.getFileName().toString().startsWith("jktstr-initramfs-"))
                    .filter(p -> p.toFile().length() == 0)).isEmpty();
        }
    }
}
