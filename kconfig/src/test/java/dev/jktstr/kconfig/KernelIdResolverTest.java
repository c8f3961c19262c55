package dev.jktstr.kconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kernel id form against a fake cache in a temp dir (nothing is built or booted). */
class KernelIdResolverTest {

    @TempDir
    Path tmp;

    private KernelCache cache;
    private KernelIdResolver resolver;

    @BeforeEach
    void setUp() throws IOException {
        cache = new KernelCache(tmp.resolve("cache"));
        Files.createDirectories(tmp.resolve("work"));
        resolver = new KernelIdResolver(cache, tmp.resolve("work"));
    }

    private CacheEntry entry(String key, String source, Instant builtAt) {
        return cache.store(new KernelMetadata(key, "6.12.0", source, "f", "", builtAt, 1), dir -> {
            Files.writeString(dir.resolve(CacheEntry.IMAGE), "image of " + key);
            Files.writeString(dir.resolve(CacheEntry.SYSTEM_MAP), "");
            Files.writeString(dir.resolve(CacheEntry.CONFIG), "CONFIG_SCHED_CLASS_EXT=y\n# " + key + "\n");
        });
    }

    @Test
    void pathsResolveAsDirectoryOrImage() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("work/k"));
        Files.writeString(dir.resolve("bzImage"), "x");
        Files.writeString(dir.resolve("config"), "CONFIG_A=y\n");
        assertThat(resolver.resolve("k").image()).isEqualTo(dir.resolve("bzImage"));
        assertThat(resolver.resolve(dir.resolve("bzImage").toString()).config()).contains(dir.resolve("config"));
    }

    @Test
    void cacheKeyFindsItsEntry() {
        CacheEntry e = entry("6.12.0-00000000000000aa", "dir:/x", Instant.now());
        assertThat(resolver.resolve("6.12.0-00000000000000aa").image()).isEqualTo(e.image());
    }

    @Test
    void unknownPathOrKeyListsBothTriesAndTheCachedKeys() {
        entry("6.12.0-00000000000000aa", "dir:/x", Instant.now());
        assertThatThrownBy(() -> resolver.resolve("6.12.0-ffffffffffffffff"))
                .isInstanceOf(KernelNotFoundException.class)
                .hasMessageContaining("as a path: " + tmp.resolve("work/6.12.0-ffffffffffffffff") + ": no such file")
                .hasMessageContaining("as a cache key: ")
                .hasMessageContaining("cached: 6.12.0-00000000000000aa")
                .satisfies(e -> assertThat(((KernelNotFoundException) e).tried()).hasSize(2));
        // with a '/', only a path is meant
        assertThatThrownBy(() -> resolver.resolve("no/such"))
                .satisfies(e -> assertThat(((KernelNotFoundException) e).tried()).hasSize(1));
    }

    @Test
    void debianIdTakesTheNewestDebianBuild() {
        entry("6.12.0-00000000000000a1", "debian:linux-source-6.12=6.12.38-1", Instant.parse("2026-01-01T00:00:00Z"));
        CacheEntry newer = entry("6.12.0-00000000000000a2", "debian:linux-source-6.12=6.12.41-1", Instant.parse("2026-02-01T00:00:00Z"));
        entry("6.12.0-00000000000000a3", "git:v6.12", Instant.parse("2026-03-01T00:00:00Z"));
        KernelImage k = resolver.resolve("debian:6.12");
        assertThat(k.image()).isEqualTo(newer.image());
        assertThat(k.origin()).contains("debian:6.12").contains(newer.key());
    }

    @Test
    void debianIdNotCachedSaysTheBuildCommand() {
        entry("6.12.0-00000000000000a3", "git:v6.12", Instant.now());
        assertThatThrownBy(() -> resolver.resolve("debian:6.12"))
                .isInstanceOf(KernelNotFoundException.class)
                .hasMessageContaining("no entry built from linux-source-6.12")
                .hasMessageContaining("6.12.0-00000000000000a3 from git:v6.12")
                .hasMessageContaining("`jktstr kernel build --debian`");
        assertThatThrownBy(() -> resolver.resolve("debian:6.1"))
                .hasMessageContaining("builds linux-source-6.12 only")
                .hasMessageContaining("jktstr kernel build --source DIR");
    }

    private Path gitTree() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("work/linux"));
        try {
            git(tree, "init", "-q");
        } catch (IOException e) {
            assumeTrue(false, "git not installed: " + e.getMessage());
        }
        Files.writeString(tree.resolve("Makefile"), "VERSION = 6\n");
        git(tree, "add", "Makefile");
        git(tree, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one");
        git(tree, "-c", "user.name=t", "-c", "user.email=t@t", "tag", "-a", "-m", "Linux 6.12", "v6.12"); // annotated, as Linux tags are
        Files.writeString(tree.resolve("Makefile"), "VERSION = 6\nPATCHLEVEL = 13\n");
        git(tree, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "two");
        return tree;
    }

    private static void git(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void gitIdFindsTheBuildOfThatRef() throws Exception {
        gitTree();
        // what KernelSource records for a clean build of the tag: git describe --always --dirty --abbrev=12
        CacheEntry tagged = entry("6.12.0-00000000000000b1", "git:v6.12", Instant.now());
        entry("6.12.0-00000000000000b2", "git:v6.12-dirty", Instant.now().plusSeconds(1));
        KernelImage k = resolver.resolve("git:linux@v6.12");
        assertThat(k.image()).isEqualTo(tagged.image());
    }

    @Test
    void gitIdNotCachedSaysTheCommandsThatBuildIt() throws Exception {
        Path tree = gitTree();
        entry("6.12.0-00000000000000b2", "git:v6.12-dirty", Instant.now());
        assertThatThrownBy(() -> resolver.resolve("git:" + tree + "@HEAD"))
                .isInstanceOf(KernelNotFoundException.class)
                .hasMessageContaining("no entry built from git:v6.12-1-g")
                .hasMessageContaining("git -C " + tree + " worktree add " + tree + "-HEAD HEAD && jktstr kernel build --source "
                        + tree + "-HEAD");
    }

    @Test
    void gitIdWithAnUnknownRefOrNoTreeSaysSo() throws Exception {
        Path tree = gitTree();
        assertThatThrownBy(() -> resolver.resolve("git:" + tree + "@v9.99"))
                .isInstanceOf(KernelNotFoundException.class)
                .hasMessageContaining("ref 'v9.99' is not a commit there");
        Files.createDirectories(tmp.resolve("work/plain"));
        assertThatThrownBy(() -> resolver.resolve("git:plain@v6.12")).hasMessageContaining("not a git tree (no .git)");
        assertThatThrownBy(() -> resolver.resolve("git:nowhere@v6.12")).hasMessageContaining("no such directory");
    }

    @Test
    void configHashIgnoresCommentsAndTellsConfigsApart() throws IOException {
        Path a = Files.createDirectories(tmp.resolve("work/a"));
        Path b = Files.createDirectories(tmp.resolve("work/b"));
        Path c = Files.createDirectories(tmp.resolve("work/c"));
        for (Path d : List.of(a, b, c)) {
            Files.writeString(d.resolve("bzImage"), "x");
        }
        Files.writeString(a.resolve("config"), "# built on host a\nCONFIG_A=y\n# CONFIG_B is not set\n");
        Files.writeString(b.resolve("config"), "# built on host b\nCONFIG_A=y\n# CONFIG_B is not set\n");
        Files.writeString(c.resolve("config"), "CONFIG_A=y\nCONFIG_B=y\n");
        String ha = resolver.resolve("a").configHash().orElseThrow();
        assertThat(ha).hasSize(12).matches("[0-9a-f]+");
        assertThat(resolver.resolve("b").configHash()).contains(ha);
        assertThat(resolver.resolve("c").configHash().orElseThrow()).isNotEqualTo(ha);
        Files.delete(c.resolve("config"));
        assertThat(resolver.resolve("c").configHash()).isEmpty();
    }
}
