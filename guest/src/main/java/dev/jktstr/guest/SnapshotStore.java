package dev.jktstr.guest;

import dev.jktstr.machine.RunDirectory;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saved guests on disk, one directory per configuration ({@link SnapshotKey#slot()}) holding the backend's state file
 * ({@value #STATE_FILE}) and its {@link SnapshotManifest}. The default place is the user cache beside the kernel cache:
 * {@code $XDG_CACHE_HOME/jktstr/snapshots} ({@code ~/.cache/jktstr/snapshots}), mode 0700 (a state file holds guest
 * RAM). A save writes into a fresh temp directory and renames it over the slot, so a reader never sees half a
 * snapshot and concurrent savers leave one whole one.
 */
public final class SnapshotStore {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    static final String STATE_FILE = "state.bin";
    /** A save's temp directory older than this was abandoned (a save takes about a second). */
    static final Duration ABANDONED = Duration.ofMinutes(10);

    /** What {@link #find} found: a state file to restore, or why there is none (shown to the user). */
    public record Lookup(Optional<SnapshotKey> key, Optional<Path> state, String reason) {}

    private final Path dir;

    private SnapshotStore(Path dir) {
        this.dir = dir;
    }

    /** A store in {@code dir} (created on the first save). */
    public static SnapshotStore at(Path dir) {
        return new SnapshotStore(dir.toAbsolutePath());
    }

    /** The store in the user cache, {@link #defaultDir()}. */
    public static SnapshotStore inUserCache() {
        return at(defaultDir());
    }

    /**
     * The {@code jktstr.snapshot.dir} system property (a test's own store), else {@code $XDG_CACHE_HOME/jktstr/snapshots},
     * or {@code ~/.cache/jktstr/snapshots} when that is unset.
     */
    public static Path defaultDir() {
        String own = System.getProperty("jktstr.snapshot.dir");
        if (own != null && !own.isEmpty()) {
            return Path.of(own);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg == null || xdg.isEmpty() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(xdg);
        return base.resolve("jktstr").resolve("snapshots");
    }

    /**
     * Whether boots use snapshots unless told otherwise: the {@code jktstr.snapshot} system property, else the
     * {@code JKTSTR_SNAPSHOT} environment variable ({@code 1}, {@code true}, {@code on}); off when neither is set.
     */
    public static boolean enabledByDefault() {
        String v = System.getProperty("jktstr.snapshot");
        if (v == null || v.isEmpty()) {
            v = System.getenv("JKTSTR_SNAPSHOT");
        }
        return v != null && switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "1", "true", "on", "yes" -> true;
            default -> false;
        };
    }

    public Path dir() {
        return dir;
    }

    /** This jktstr's version as snapshots record it: the jar's, else {@code dev} (a build from the source tree). */
    public static String jktstrVersion() {
        String v = SnapshotStore.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "dev" : v;
    }

    /**
     * The snapshot for {@code spec} on {@code backend}: its key and state file, or why there is none; no key at all when
     * such a guest cannot be snapshotted (a backend without snapshots, disk images whose contents a snapshot would not
     * hold).
     */
    public Lookup find(MachineBackend backend, MachineSpec spec) {
        Optional<String> identity = backend.snapshotIdentity();
        if (identity.isEmpty()) {
            return new Lookup(Optional.empty(), Optional.empty(), "the " + backend.name() + " backend has no snapshots");
        }
        if (!spec.disks().isEmpty()) {
            return new Lookup(Optional.empty(), Optional.empty(),
                    "the spec has disk images, whose contents a snapshot does not hold");
        }
        return find(SnapshotKey.of(spec, identity.get(), jktstrVersion()));
    }

    /** The slot's state file if its manifest matches {@code key} and the file is whole; otherwise why not. */
    public Lookup find(SnapshotKey key) {
        Path slot = dir.resolve(key.slot());
        Path manifestFile = slot.resolve(SnapshotManifest.FILE);
        if (!Files.exists(manifestFile)) {
            return new Lookup(Optional.of(key), Optional.empty(), "no snapshot of this configuration yet (" + slot + ")");
        }
        try {
            SnapshotManifest manifest = SnapshotManifest.read(manifestFile);
            Optional<String> mismatch = key.mismatch(manifest.key());
            if (mismatch.isPresent()) {
                return new Lookup(Optional.of(key), Optional.empty(), "snapshot " + slot + " refused: " + mismatch.get());
            }
            Path state = slot.resolve(STATE_FILE);
            Optional<String> damage = manifest.check(state);
            if (damage.isPresent()) {
                return new Lookup(Optional.of(key), Optional.empty(), "snapshot " + slot + " refused: " + damage.get());
            }
            return new Lookup(Optional.of(key), Optional.of(state), "snapshot " + slot);
        } catch (IOException | UncheckedIOException e) {
            return new Lookup(Optional.of(key), Optional.empty(), "snapshot " + slot + " refused: " + e.getMessage());
        }
    }

    /**
     * Saves {@code machine} (booted from a spec with this {@code key}, its agent READY) into the key's slot, replacing
     * what was there. The guest is stopped while it saves and runs on afterwards.
     *
     * @return the slot directory
     */
    public Path save(SnapshotKey key, Machine machine, Duration timeout) throws IOException {
        Files.createDirectories(dir);
        restrictToOwner(dir);
        removeAbandoned();
        Path slot = dir.resolve(key.slot());
        Path tmp = Files.createTempDirectory(dir, key.slot() + ".tmp-");
        try {
            Path state = tmp.resolve(STATE_FILE);
            machine.saveState(state, timeout);
            SnapshotManifest.of(key, state).write(tmp.resolve(SnapshotManifest.FILE));
            replace(tmp, slot);
            return slot;
        } finally {
            deleteTree(tmp); // gone already when the rename succeeded
        }
    }

    /** Moves {@code fresh} over {@code slot}: the old one aside first (a directory cannot be renamed over a full one). */
    private void replace(Path fresh, Path slot) throws IOException {
        Path old = null;
        if (Files.exists(slot)) {
            old = Files.createTempDirectory(dir, slot.getFileName() + ".old-");
            Files.delete(old);
            try {
                Files.move(slot, old, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                old = null; // another process moved it meanwhile
            }
        }
        try {
            Files.move(fresh, slot, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            LOG.debug("another process saved {} first", slot);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename within " + dir + ": " + e.getMessage(), e);
        } finally {
            if (old != null) {
                deleteTree(old);
            }
        }
    }

    /**
     * Removes what a save killed half-way left ({@code <slot>.tmp-*}, {@code <slot>.old-*}) once it is older than
     * {@link #ABANDONED}: a JVM SIGKILLed while saving cannot clean up after itself.
     */
    private void removeAbandoned() {
        long cutoff = System.currentTimeMillis() - ABANDONED.toMillis();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if ((n.contains(".tmp-") || n.contains(".old-")) && Files.getLastModifiedTime(p).toMillis() < cutoff) {
                    deleteTree(p);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("cleanup of {}: {}", dir, e.toString());
        }
    }

    /** Removes the slot of {@code key} (a test's cleanup, or a user's). */
    public void delete(SnapshotKey key) {
        deleteTree(dir.resolve(key.slot()));
    }

    private static void restrictToOwner(Path p) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot restrict {}: {}", p, e.toString());
        }
    }

    static void deleteTree(Path root) {
        RunDirectory.deleteTree(root).forEach(left -> LOG.warn("cannot remove {}", left));
    }
}
