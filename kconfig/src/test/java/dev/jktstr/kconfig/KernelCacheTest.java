package dev.jktstr.kconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCacheTest {

    @TempDir
    Path root;

    private static final ConfigFragment NONE = ConfigFragment.parse("", "none");

    @Test
    void keyIsStableAndChangesWithFragmentSourceAndExtraOptions() {
        ConfigFragment shipped = ConfigFragment.shipped();
        String key = KernelCache.key("6.12.117", "debian:linux-source-6.12=6.12.117-1", shipped, NONE);
        assertThat(KernelCache.key("6.12.117", "debian:linux-source-6.12=6.12.117-1", ConfigFragment.shipped(), NONE))
                .isEqualTo(key);
        assertThat(key).matches("6\\.12\\.117-[0-9a-f]{16}");
        ConfigFragment changed = shipped.mergedWith(ConfigFragment.parse("CONFIG_HZ_1000=y\n", "x"));
        assertThat(KernelCache.key("6.12.117", "debian:linux-source-6.12=6.12.117-1", changed, NONE)).isNotEqualTo(key);
        assertThat(KernelCache.key("6.12.117", "git:v6.12-rc1", shipped, NONE)).isNotEqualTo(key);
        assertThat(KernelCache.key("6.12.117", "debian:linux-source-6.12=6.12.117-1", shipped,
                ConfigFragment.parse("CONFIG_X=y\n", "user"))).isNotEqualTo(key);
        assertThat(KernelCache.key("6.12/../x", "s", shipped, NONE)).doesNotContain("/");
    }

    @Test
    void storeListFindAndClean() {
        KernelCache cache = new KernelCache(root);
        CacheEntry older = cache.store(metadata("6.12.1-aaaa", Instant.parse("2026-01-01T00:00:00Z")), this::fakeKernel);
        CacheEntry newer = cache.store(metadata("6.12.2-bbbb", Instant.parse("2026-02-01T00:00:00Z")), this::fakeKernel);
        assertThat(cache.list()).extracting(CacheEntry::key).containsExactly("6.12.2-bbbb", "6.12.1-aaaa");
        assertThat(cache.find("6.12.1-aaaa")).get().extracting(CacheEntry::directory).isEqualTo(older.directory());
        assertThat(newer.image()).isRegularFile();
        assertThat(cache.clean(e -> e.key().startsWith("6.12.1"))).extracting(CacheEntry::key).containsExactly("6.12.1-aaaa");
        assertThat(cache.list()).extracting(CacheEntry::key).containsExactly("6.12.2-bbbb");
        cache.clean(e -> true);
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void aFailedStoreLeavesNothingBehindAndKeepsTheOldEntry() throws IOException {
        KernelCache cache = new KernelCache(root);
        cache.store(metadata("k-1", Instant.now()), this::fakeKernel);
        assertThatThrownBy(() -> cache.store(metadata("k-1", Instant.now()), dir -> {
            Files.writeString(dir.resolve("partial"), "x");
            throw new IOException("disk full");
        })).isInstanceOf(KconfigException.class).hasMessageContaining("disk full");
        assertThatThrownBy(() -> cache.store(metadata("k-2", Instant.now()), dir -> {}))
                .isInstanceOf(KconfigException.class).hasMessageContaining("no bzImage");
        try (var names = Files.list(root)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".lock", "k-1");
        }
        assertThat(cache.find("k-1").orElseThrow().directory().resolve("partial")).doesNotExist();
    }

    @Test
    void entriesWithDamagedMetadataAreIgnoredAndBadKeysRejected() throws IOException {
        KernelCache cache = new KernelCache(root);
        Path damaged = Files.createDirectories(root.resolve("damaged"));
        Files.writeString(damaged.resolve(CacheEntry.IMAGE), "x");
        Files.writeString(damaged.resolve(CacheEntry.METADATA), "{\"key\": ");
        assertThat(cache.list()).isEmpty();
        assertThatThrownBy(() -> KernelMetadata.read(damaged.resolve(CacheEntry.METADATA)))
                .isInstanceOf(KconfigException.class).hasMessageContaining("unreadable kernel metadata");
        assertThatThrownBy(() -> cache.find("../etc")).isInstanceOf(KconfigException.class);
    }

    @Test
    void concurrentStoresAreSerialised() throws Exception {
        KernelCache cache = new KernelCache(root);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++) {
            String key = "k-" + i;
            threads[i] = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                cache.store(metadata(key, Instant.now()), dir -> {
                    maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    fakeKernel(dir);
                    // Hold the section open: without the lock the other three writers would overlap this one.
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    inside.decrementAndGet();
                });
            });
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(maxInside.get()).isEqualTo(1);
        assertThat(cache.list()).hasSize(4);
    }

    @Test
    void metadataRoundTrips() {
        KernelMetadata m = metadata("6.12.117-0123456789abcdef", Instant.parse("2026-11-27T16:00:00Z"));
        KernelCache cache = new KernelCache(root);
        CacheEntry entry = cache.store(m, this::fakeKernel);
        assertThat(KernelMetadata.read(entry.directory().resolve(CacheEntry.METADATA))).isEqualTo(m);
    }

    private KernelMetadata metadata(String key, Instant builtAt) {
        return new KernelMetadata(key, "6.12.117", "debian:linux-source-6.12=6.12.117-1",
                ConfigFragment.shipped().hash(), NONE.hash(), builtAt, 900);
    }

    private void fakeKernel(Path dir) throws IOException {
        Files.writeString(dir.resolve(CacheEntry.IMAGE), "bzImage");
        Files.writeString(dir.resolve(CacheEntry.SYSTEM_MAP), "ffffffff81000000 T _text\n");
    }
}
