package dev.jktstr.bindgen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The bindings generator: {@code Main <binding list> <java source root>}. Reads each group of the list
 * through libclang and writes {@code dev/jktstr/bindings/<group>/} under the source root, after deleting
 * what an earlier run generated there (and refusing to delete anything it did not generate).
 *
 * <p>Run it with {@code bindings/regenerate.sh}; it needs libclang-19 (Debian: libclang1-19 and
 * libclang-common-19-dev) and {@code --enable-native-access=ALL-UNNAMED}.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: java --enable-native-access=ALL-UNNAMED -cp bindings/target/classes"
                    + " dev.jktstr.bindgen.Main <bindings.list> <java source root>");
            System.exit(2);
        }
        try {
            Map<String, String> files = run(Path.of(args[0]), Path.of(args[1]));
            System.err.println("bindgen: wrote " + files.size() + " files under " + args[1]);
        } catch (BindgenException e) {
            System.err.println("bindgen: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Generates every group of {@code list} into {@code sourceRoot}; returns what it wrote (relative path → content). */
    public static Map<String, String> run(Path list, Path sourceRoot) {
        Map<String, String> files = generate(BindingList.read(list));
        write(files, sourceRoot);
        return files;
    }

    /** Generates the files of every group, in memory: relative path under the source root → content. */
    static Map<String, String> generate(BindingList list) {
        return generate(list, List.of());
    }

    /** As {@link #generate(BindingList)}, with more clang arguments (include directories, for tests). */
    static Map<String, String> generate(BindingList list, List<String> extraClangArguments) {
        Path resourceDir = LibClang.resourceDir().orElseThrow(() -> new BindgenException(
                "clang's resource directory (with stddef.h) is missing: install the Debian package"
                        + " libclang-common-19-dev, or set -Djktstr.libclang.resourceDir"));
        Map<String, String> files = new TreeMap<>();
        // One session per group: translation units are large, and groups share nothing.
        for (BindingList.Group group : list.groups()) {
            List<String> arguments = new ArrayList<>(extraClangArguments);
            for (String include : group.includes()) {
                Path directory = list.includeDirectory(include);
                if (!Files.isDirectory(directory)) {
                    throw new BindgenException("group " + group.name() + ": include directory " + include + " not found ("
                            + directory + ")");
                }
                arguments.add("-I" + directory);
            }
            try (Clang clang = Clang.open()) {
                files.putAll(JavaEmitter.emit(HeaderReader.read(clang, group, resourceDir, arguments)));
            }
        }
        return files;
    }

    private static void write(Map<String, String> files, Path sourceRoot) {
        Path generatedRoot = sourceRoot.resolve(JavaEmitter.PACKAGE_ROOT.replace('.', '/'));
        try {
            deletePreviousOutput(generatedRoot);
            for (Map.Entry<String, String> file : files.entrySet()) {
                Path path = sourceRoot.resolve(file.getKey());
                Files.createDirectories(path.getParent());
                Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the bindings under " + sourceRoot, e);
        }
    }

    /** Deletes the previous run's files, so that groups and records removed from the list disappear. */
    private static void deletePreviousOutput(Path generatedRoot) throws IOException {
        if (!Files.isDirectory(generatedRoot)) {
            return;
        }
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(generatedRoot)) {
            walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
        }
        for (Path path : paths) {
            if (Files.isRegularFile(path) && !isGenerated(path)) {
                throw new BindgenException(path + " was not written by the generator: hand-written code does not belong"
                        + " under " + generatedRoot + "; move it away and run again");
            }
        }
        for (Path path : paths) {
            Files.delete(path);
        }
    }

    private static boolean isGenerated(Path file) throws IOException {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.findFirst().map(line -> line.contains(JavaEmitter.MARKER)).orElse(false);
        }
    }
}
