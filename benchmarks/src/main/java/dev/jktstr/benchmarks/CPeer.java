package dev.jktstr.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A benchmark's C peer: its bundled source compiled with gcc into a private temporary directory,
 * which {@link #close()} removes with everything built or written there.
 */
final class CPeer implements AutoCloseable {

    private final Path dir;
    private final Path source;

    private CPeer(Path dir, Path source) {
        this.dir = dir;
        this.source = source;
    }

    /** Copies the resource {@code name} (beside this class) into a fresh temporary directory. */
    static CPeer of(String name) throws IOException {
        Path dir = Files.createTempDirectory("jktstr-bench-" + name.replace(".c", "") + "-");
        Path source = dir.resolve(name);
        try (InputStream in = CPeer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("benchmark resource " + name + " is missing (broken build)");
            }
            Files.copy(in, source);
        } catch (IOException e) {
            deleteTree(dir);
            throw e;
        }
        return new CPeer(dir, source);
    }

    /** The directory, for inputs the peer reads. */
    Path dir() {
        return dir;
    }

    /** {@code gcc -O2 [flags] -o output source}; returns the output's path. */
    Path compile(String output, String... flags) throws IOException, InterruptedException {
        Path out = dir.resolve(output);
        List<String> command = new ArrayList<>(List.of("gcc", "-O2"));
        command.addAll(List.of(flags));
        command.addAll(List.of("-o", out.toString(), source.toString()));
        run(command);
        return out;
    }

    /** Runs a command to completion; its output, or an IOException carrying it when it fails. */
    static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.strip());
        }
        return output;
    }

    @Override
    public void close() throws IOException {
        deleteTree(dir);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
