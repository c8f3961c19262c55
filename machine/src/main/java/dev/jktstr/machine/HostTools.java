package dev.jktstr.machine;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Finds host programs by name, the one way every module does it: the directories of a search path in order (by
 * default {@code PATH}; empty entries skipped; PATH unset or empty counts as {@code /usr/bin:/bin}), then any extra
 * directories a caller adds, such as {@code /usr/sbin}, which a non-root PATH often lacks. A hit is a regular file
 * (symlinks followed) that this process may execute; a directory or a non-executable file of that name is passed over.
 * Immutable.
 */
public final class HostTools {

    /** What an unset or empty {@code PATH} stands for. */
    public static final List<Path> DEFAULT_PATH = List.of(Path.of("/usr/bin"), Path.of("/bin"));

    private final List<Path> searchPath;

    private HostTools(List<Path> searchPath) {
        this.searchPath = List.copyOf(searchPath);
    }

    /** The directories of this process's {@code PATH}. */
    public static HostTools onPath() {
        return new HostTools(parsePath(System.getenv("PATH")));
    }

    /** Exactly these directories, in this order (a fake host in tests, say). */
    public static HostTools in(List<Path> dirs) {
        return new HostTools(dirs);
    }

    /** The directories of a {@code PATH} value, in order; null or empty gives {@link #DEFAULT_PATH}. */
    static List<Path> parsePath(String value) {
        if (value == null || value.isEmpty()) {
            return DEFAULT_PATH;
        }
        return Arrays.stream(value.split(File.pathSeparator)).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }

    /** These directories, then {@code extra} (one already searched is not added again). */
    public HostTools withExtraDirs(Path... extra) {
        List<Path> dirs = new ArrayList<>(searchPath);
        for (Path dir : extra) {
            if (!dirs.contains(dir)) {
                dirs.add(dir);
            }
        }
        return new HostTools(dirs);
    }

    /** The directories searched, in order. */
    public List<Path> searchPath() {
        return searchPath;
    }

    /** The first executable file called {@code name} in the search path. */
    public Optional<Path> find(String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("a program name, not a path: '" + name + "'");
        }
        return searchPath.stream().map(dir -> dir.resolve(name)).filter(HostTools::isExecutableFile).findFirst();
    }

    /** The first of {@code names} (most wanted first) that {@link #find} finds, as found. */
    public Optional<Path> findFirst(List<String> names) {
        return names.stream().map(this::find).flatMap(Optional::stream).findFirst();
    }

    /** Whether {@code file} is a regular file (after symlinks) this process may execute. */
    public static boolean isExecutableFile(Path file) {
        return Files.isRegularFile(file) && Files.isExecutable(file);
    }

    @Override
    public String toString() {
        return "HostTools" + searchPath;
    }
}
