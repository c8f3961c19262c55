package dev.jktstr.kconfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Built kernels under one root, one directory per cache key. Entries appear atomically: they are
 * written into a temporary sibling and renamed into place, so a reader never sees half an entry.
 * A lock file keeps two builds (in this or other processes) from storing or cleaning at once.
 */
public final class KernelCache {

    private static final String LOCK_FILE = ".lock";
    private static final String TEMP_PREFIX = ".tmp-";
    /** Guards the file lock within this JVM, where a second FileLock on the same file would throw. */
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();

    private final Path root;

    public KernelCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** {@code $XDG_CACHE_HOME/jktstr/kernels}, or {@code ~/.cache/jktstr/kernels} when that is unset. */
    public static KernelCache userDefault() {
        return new KernelCache(defaultRoot());
    }

    public static Path defaultRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg == null || xdg.isEmpty() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(xdg);
        return base.resolve("jktstr").resolve("kernels");
    }

    public Path root() {
        return root;
    }

    /**
     * The cache key of a build: kernel release plus a hash over the source identity, jktstr's
     * fragment and the user's extra options — any change to them gives a new key.
     */
    public static String key(String release, String sourceIdentity, ConfigFragment fragment, ConfigFragment extra) {
        String hash = ConfigFragment.sha256(sourceIdentity + "\n" + fragment.render() + "\n--extra--\n" + extra.render());
        return sanitize(release) + "-" + hash.substring(0, 16);
    }

    private static String sanitize(String release) {
        String clean = release.replaceAll("[^A-Za-z0-9._+-]", "_");
        return clean.isEmpty() ? "unknown" : clean;
    }

    /** Every complete entry, newest first; directories without valid metadata are skipped. */
    public List<CacheEntry> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<CacheEntry> entries = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                if (dir.getFileName().toString().startsWith(".")) {
                    continue;
                }
                readEntry(dir).ifPresent(entries::add);
            }
        } catch (IOException e) {
            throw new KconfigException("cannot list kernel cache " + root + ": " + e.getMessage(), e);
        }
        entries.sort(Comparator.comparing((CacheEntry e) -> e.metadata().builtAt()).reversed());
        return entries;
    }

    public Optional<CacheEntry> find(String key) {
        Path dir = root.resolve(sanitizeKey(key));
        return Files.isDirectory(dir) ? readEntry(dir) : Optional.empty();
    }

    private static Optional<CacheEntry> readEntry(Path dir) {
        Path metadata = dir.resolve(CacheEntry.METADATA);
        if (!Files.isRegularFile(metadata) || !Files.isRegularFile(dir.resolve(CacheEntry.IMAGE))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new CacheEntry(dir, KernelMetadata.read(metadata)));
        } catch (KconfigException e) {
            return Optional.empty();
        }
    }

    /** Files a build writes into a fresh entry directory. */
    @FunctionalInterface
    public interface EntryWriter {
        void writeInto(Path directory) throws IOException;
    }

    /**
     * Stores an entry: {@code writer} fills a temporary directory, metadata is added, and the
     * directory is renamed to its key, replacing an older entry with the same key. On any failure
     * the temporary directory is removed and nothing changes.
     */
    public CacheEntry store(KernelMetadata metadata, EntryWriter writer) {
        return locked(() -> {
            Path target = root.resolve(sanitizeKey(metadata.key()));
            Path temp = root.resolve(TEMP_PREFIX + UUID.randomUUID());
            try {
                Files.createDirectories(temp);
                writer.writeInto(temp);
                if (!Files.isRegularFile(temp.resolve(CacheEntry.IMAGE))) {
                    throw new KconfigException("kernel build stored no " + CacheEntry.IMAGE);
                }
                Files.writeString(temp.resolve(CacheEntry.METADATA), metadata.toJson(), StandardCharsets.UTF_8);
                if (Files.exists(target)) {
                    Path old = root.resolve(TEMP_PREFIX + "old-" + UUID.randomUUID());
                    move(target, old);
                    deleteTree(old);
                }
                move(temp, target);
                return new CacheEntry(target, metadata);
            } catch (IOException e) {
                throw new KconfigException("cannot store kernel " + metadata.key() + " in " + root + ": "
                        + e.getMessage(), e);
            } finally {
                deleteTree(temp);
            }
        });
    }

    /** Removes the entries {@code which} selects, and leftovers of interrupted stores; returns them. */
    public List<CacheEntry> clean(Predicate<CacheEntry> which) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        return locked(() -> {
            List<CacheEntry> removed = new ArrayList<>();
            for (CacheEntry entry : list()) {
                if (which.test(entry)) {
                    deleteTree(entry.directory());
                    removed.add(entry);
                }
            }
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).forEach(KernelCache::deleteTree);
            } catch (IOException e) {
                throw new KconfigException("cannot clean kernel cache " + root + ": " + e.getMessage(), e);
            }
            return removed;
        });
    }

    /** Runs {@code action} holding the cache lock, across threads and processes. */
    public <T> T locked(java.util.function.Supplier<T> action) {
        IN_PROCESS.lock();
        try {
            Files.createDirectories(root);
            try (FileChannel channel = FileChannel.open(root.resolve(LOCK_FILE),
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                return action.get();
            }
        } catch (IOException e) {
            throw new KconfigException("cannot lock kernel cache " + root + ": " + e.getMessage(), e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    private static String sanitizeKey(String key) {
        if (key.isEmpty() || key.startsWith(".") || key.contains("/") || key.contains("\\")) {
            throw new KconfigException("not a kernel cache key: '" + key + "'");
        }
        return key;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the cache directory does not support atomic renames: " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path path) {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
        }
    }
}
