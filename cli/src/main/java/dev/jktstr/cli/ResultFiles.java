package dev.jktstr.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The result files a command argument names: the file itself, or the {@code *.json} files of a directory tree. */
final class ResultFiles {
    /** How deep below a directory result files are looked for (run directories of run directories). */
    private static final int MAX_DEPTH = 4;
    /** The most files one argument may name: a mistyped {@code /} must not read the whole disk. */
    static final int MAX_FILES = 10_000;

    private ResultFiles() {
    }

    /** {@code path}'s result files, sorted; {@code role} (e.g. "baseline") names the argument in errors. */
    static List<Path> of(Path path, String role) {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new IllegalArgumentException(role + " " + path + ": no such result file or directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.find(path, MAX_DEPTH, (p, a) -> a.isRegularFile() && p.toString().endsWith(".json"))) {
            files = s.limit(MAX_FILES + 1L).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException(role + " " + path + ": cannot list it: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(role + " " + path + ": no *.json result files in it");
        }
        if (files.size() > MAX_FILES) {
            throw new IllegalArgumentException(role + " " + path + ": more than " + MAX_FILES
                    + " *.json files below it; name a directory of runs");
        }
        return files;
    }
}
