package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostToolsTest {

    @TempDir
    Path tmp;

    private Path program(Path dir, String name, String mode) throws IOException {
        Files.createDirectories(dir);
        Path p = Files.writeString(dir.resolve(name), "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    @Test
    void pathValueSplitsInOrderSkippingEmptyEntries() {
        assertThat(HostTools.parsePath("/a::/b:")).containsExactly(Path.of("/a"), Path.of("/b"));
    }

    @Test
    void unsetOrEmptyPathMeansUsrBinAndBin() {
        assertThat(HostTools.parsePath(null)).isEqualTo(HostTools.DEFAULT_PATH);
        assertThat(HostTools.parsePath("")).containsExactly(Path.of("/usr/bin"), Path.of("/bin"));
    }

    @Test
    void firstDirectoryInOrderWins() throws IOException {
        Path first = tmp.resolve("first");
        Path second = tmp.resolve("second");
        program(second, "tool", "rwxr-xr-x");
        Path wanted = program(first, "tool", "rwxr-xr-x");
        assertThat(HostTools.in(List.of(first, second)).find("tool")).contains(wanted);
    }

    @Test
    void nonExecutableFilesAndDirectoriesArePassedOver() throws IOException {
        Path plain = tmp.resolve("plain");
        Path dirs = tmp.resolve("dirs");
        Path real = tmp.resolve("real");
        program(plain, "tool", "rw-r--r--");
        Files.createDirectories(dirs.resolve("tool"));
        Path wanted = program(real, "tool", "rwx------");
        assertThat(HostTools.in(List.of(plain, dirs)).find("tool")).isEmpty();
        assertThat(HostTools.in(List.of(plain, dirs, real)).find("tool")).contains(wanted);
    }

    @Test
    void symlinksToExecutablesCount() throws IOException {
        Path target = program(tmp.resolve("target"), "tool-19", "rwxr-xr-x");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("tool"), target);
        assertThat(HostTools.in(List.of(bin)).find("tool")).contains(bin.resolve("tool"));
    }

    @Test
    void extraDirectoriesAreSearchedAfterThePath() throws IOException {
        Path path = tmp.resolve("path");
        Path sbin = tmp.resolve("sbin");
        Path inSbin = program(sbin, "admin-tool", "rwxr-xr-x");
        Path both = program(path, "tool", "rwxr-xr-x");
        program(sbin, "tool", "rwxr-xr-x");
        HostTools tools = HostTools.in(List.of(path)).withExtraDirs(sbin, path);
        assertThat(tools.searchPath()).containsExactly(path, sbin);
        assertThat(tools.find("admin-tool")).contains(inSbin);
        assertThat(tools.find("tool")).contains(both);
        assertThat(HostTools.in(List.of(path)).find("admin-tool")).isEmpty();
    }

    @Test
    void findFirstPrefersEarlierNamesOverEarlierDirectories() throws IOException {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        program(a, "clang", "rwxr-xr-x");
        Path preferred = program(b, "clang-19", "rwxr-xr-x");
        HostTools tools = HostTools.in(List.of(a, b));
        assertThat(tools.findFirst(List.of("clang-19", "clang"))).contains(preferred);
        assertThat(tools.findFirst(List.of("gcc-99", "clang"))).contains(a.resolve("clang"));
        assertThat(tools.findFirst(List.of("gcc-99"))).isEmpty();
    }

    @Test
    void onlyBareNamesAreLookedUp() {
        HostTools tools = HostTools.in(List.of(tmp));
        assertThatThrownBy(() -> tools.find("bin/sh")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tools.find("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRealPathFindsSh() {
        assertThat(HostTools.onPath().find("sh")).isPresent();
    }
}
