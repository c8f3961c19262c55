package dev.jktstr.machine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * This JVM's one directory for temporary files a VM needs (initramfs images, sockets):
 * {@code $java.io.tmpdir/jktstr-<pid>}, mode 0700. It is removed when the JVM exits normally; a JVM that
 * was killed leaves it behind, so the first use in any later JVM sweeps the directories of dead JVMs.
 * Nothing of a run is ever left outside it.
 */
public final class RunDirectory {

    private static final String PREFIX = "jktstr-";
    private static volatile Path current;

    private RunDirectory() {
    }

    /** The directory, created (and stale ones swept) on first use. */
    public static Path current() {
        Path dir = current;
        if (dir != null && Files.isDirectory(dir)) {
            return dir;
        }
        synchronized (RunDirectory.class) {
            if (current != null && Files.isDirectory(current)) {
                return current;
            }
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            sweepStale(tmp);
            Path mine = tmp.resolve(PREFIX + ProcessHandle.current().pid());
            try {
                if (!Files.isDirectory(mine)) {
                    Files.createDirectory(mine, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create jktstr's run directory " + mine + ": " + e.getMessage(), e);
            }
            if (current == null) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(mine), "jktstr-run-directory-cleanup"));
            }
            current = mine;
            return mine;
        }
    }

    /** Removes {@code jktstr-<pid>} directories in {@code tmp} whose JVM is gone. */
    static int sweepStale(Path tmp) {
        int removed = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, PREFIX + "[0-9]*")) {
            for (Path dir : dirs) {
                long pid = pidOf(dir);
                if (pid <= 0 || pid == ProcessHandle.current().pid() || !Files.isDirectory(dir) || !ownedByUs(dir)) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                deleteTree(dir);
                removed++;
            }
        } catch (IOException | RuntimeException e) {
            // a sweep is best effort: never the reason a boot fails
        }
        return removed;
    }

    private static long pidOf(Path dir) {
        try {
            return Long.parseLong(dir.getFileName().toString().substring(PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean ownedByUs(Path dir) throws IOException {
        return Files.getOwner(dir).getName().equals(System.getProperty("user.name"));
    }

    /**
     * Removes {@code root} and everything below it, best effort: what cannot be removed stays, and comes back as
     * "path: why" lines for the caller to log (empty when everything went).
     */
    public static List<String> deleteTree(Path root) {
        List<String> left = new ArrayList<>();
        if (!Files.exists(root)) {
            return left;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    left.add(p + ": " + e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            left.add(root + ": " + e);
        }
        return left;
    }
}
