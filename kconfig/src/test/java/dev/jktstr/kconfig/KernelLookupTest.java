package dev.jktstr.kconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelLookupTest {

    @TempDir
    Path tmp;

    private Path kernelDir(Path dir, boolean withVmlinux) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("bzImage"), "image");
        Files.writeString(dir.resolve("System.map"), "ffffffff81000000 T _text\n");
        Files.writeString(dir.resolve("config"), "CONFIG_X=y\n");
        if (withVmlinux) {
            Files.writeString(dir.resolve("vmlinux"), "elf");
        }
        return dir;
    }

    private KernelLookup lookup(String env) {
        return new KernelLookup(env, tmp.resolve("cache/jktstr/kernels"), tmp.resolve("work/sub"), tmp.resolve("boot"), "6.1.0-test");
    }

    @Test
    void envDirectoryWinsOverEverything() throws IOException {
        Path dir = kernelDir(tmp.resolve("k"), true);
        kernelDir(tmp.resolve("cache/jktstr/kernels/a"), false);
        KernelImage k = lookup(dir.toString()).find();
        assertThat(k.image()).isEqualTo(dir.resolve("bzImage"));
        assertThat(k.systemMap()).contains(dir.resolve("System.map"));
        assertThat(k.config()).contains(dir.resolve("config"));
        assertThat(k.vmlinux()).contains(dir.resolve("vmlinux"));
        assertThat(k.origin()).isEqualTo("JKTSTR_KERNEL");
    }

    @Test
    void envImagePathFindsFilesBesideIt() throws IOException {
        Path dir = kernelDir(tmp.resolve("k"), false);
        KernelImage k = lookup(dir.resolve("bzImage").toString()).find();
        assertThat(k.image()).isEqualTo(dir.resolve("bzImage"));
        assertThat(k.systemMap()).contains(dir.resolve("System.map"));
        assertThat(k.vmlinux()).isEmpty();
    }

    @Test
    void emptyEnvMeansUnset() throws IOException {
        Path cached = kernelDir(tmp.resolve("cache/jktstr/kernels/one"), false);
        assertThat(lookup("").find().image()).isEqualTo(cached.resolve("bzImage"));
    }

    @Test
    void envPointingNowhereIsAnErrorNotAFallThrough() throws IOException {
        kernelDir(tmp.resolve("cache/jktstr/kernels/one"), false);
        assertThatThrownBy(() -> lookup(tmp.resolve("nope").toString()).find())
                .isInstanceOf(KernelNotFoundException.class)
                .hasMessageContaining(tmp.resolve("nope").toString());
    }

    @Test
    void cachePicksTheNewestEntry() throws IOException {
        Path old = kernelDir(tmp.resolve("cache/jktstr/kernels/old"), false);
        Path fresh = kernelDir(tmp.resolve("cache/jktstr/kernels/new"), false);
        Files.setLastModifiedTime(old, FileTime.fromMillis(1_000_000));
        Files.setLastModifiedTime(fresh, FileTime.fromMillis(2_000_000));
        assertThat(lookup(null).find().image()).isEqualTo(fresh.resolve("bzImage"));
    }

    @Test
    void cachePrefersEntriesBuiltFromTheCurrentFragmentOverNewerOnes() throws IOException {
        KernelCache cache = new KernelCache(tmp.resolve("cache/jktstr/kernels"));
        ConfigFragment none = ConfigFragment.parse("", "none");
        CacheEntry current = cache.store(new KernelMetadata("k-current", "6.12.117", "src",
                ConfigFragment.shipped().hash(), none.hash(), java.time.Instant.parse("2026-01-01T00:00:00Z"), 1),
                dir -> Files.writeString(dir.resolve("bzImage"), "image"));
        CacheEntry older = cache.store(new KernelMetadata("k-older-fragment", "6.12.117", "src",
                "0".repeat(64), none.hash(), java.time.Instant.parse("2026-02-01T00:00:00Z"), 1),
                dir -> Files.writeString(dir.resolve("bzImage"), "image"));
        Files.setLastModifiedTime(current.directory(), FileTime.fromMillis(1_000_000));
        Files.setLastModifiedTime(older.directory(), FileTime.fromMillis(2_000_000));
        assertThat(lookup(null).find().image()).isEqualTo(current.image());
    }

    @Test
    void sourceTreeInWorkDirThenParent() throws IOException {
        Path parentTree = tmp.resolve("work/linux");
        Files.createDirectories(parentTree.resolve("arch/x86/boot"));
        Files.writeString(parentTree.resolve("arch/x86/boot/bzImage"), "image");
        Files.writeString(parentTree.resolve(".config"), "CONFIG_X=y\n");
        Files.writeString(parentTree.resolve("System.map"), "map");
        KernelImage k = lookup(null).find();
        assertThat(k.image()).isEqualTo(parentTree.resolve("arch/x86/boot/bzImage"));
        assertThat(k.config()).contains(parentTree.resolve(".config"));

        Path ownTree = kernelDir(tmp.resolve("work/sub/linux"), false);
        assertThat(lookup(null).find().image()).isEqualTo(ownTree.resolve("bzImage"));
    }

    @Test
    void bootImageOfTheRunningKernelLast() throws IOException {
        Path boot = Files.createDirectories(tmp.resolve("boot"));
        Files.writeString(boot.resolve("vmlinuz-6.1.0-test"), "image");
        Files.writeString(boot.resolve("System.map-6.1.0-test"), "map");
        Files.writeString(boot.resolve("config-6.1.0-test"), "cfg");
        KernelImage k = lookup(null).find();
        assertThat(k.image()).isEqualTo(boot.resolve("vmlinuz-6.1.0-test"));
        assertThat(k.systemMap()).contains(boot.resolve("System.map-6.1.0-test"));
        assertThat(k.config()).contains(boot.resolve("config-6.1.0-test"));
    }

    @Test
    void missListsEveryPlaceTriedAndHowToGetAKernel() throws IOException {
        Files.createDirectories(tmp.resolve("cache/jktstr/kernels/broken"));
        assertThatThrownBy(() -> lookup(null).find())
                .isInstanceOfSatisfying(KernelNotFoundException.class, e -> {
                    assertThat(e.tried()).hasSize(5);
                    assertThat(e.tried().get(0)).contains("JKTSTR_KERNEL");
                    assertThat(e.tried().get(1)).contains("broken");
                    assertThat(e.tried().get(2)).contains(tmp.resolve("work/sub/linux").toString());
                    assertThat(e.tried().get(3)).contains(tmp.resolve("work/linux").toString());
                    assertThat(e.tried().get(4)).contains("vmlinuz-6.1.0-test");
                })
                .hasMessageContaining("jktstr kernel build --debian");
    }

    @Test
    void resolveExplicitDirectory() throws IOException {
        Path dir = kernelDir(tmp.resolve("explicit"), true);
        assertThat(KernelLookup.resolve(dir.toString()).vmlinux()).contains(dir.resolve("vmlinux"));
        assertThatThrownBy(() -> KernelLookup.resolve(tmp.resolve("empty").toString()))
                .isInstanceOf(KernelNotFoundException.class);
    }
}
