package dev.jktstr.bindgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed bindings are exactly what the generator makes of the committed list on this machine's
 * headers: regenerates into a temp folder and compares every file, byte for byte, both ways.
 */
class DriftTest {

    @Test
    void committedBindingsAreWhatTheGeneratorWrites(@TempDir Path out) throws IOException {
        GeneratorAssumptions.assumeLibclang();

        Main.run(BindingsTree.list(), out);

        Map<String, String> fresh = files(out);
        Map<String, String> committed = files(BindingsTree.generatedSourceRoot());
        List<String> drift = new ArrayList<>();
        for (String path : committed.keySet()) {
            if (!fresh.containsKey(path)) {
                drift.add(path + ": committed, but the generator no longer writes it");
            }
        }
        for (Map.Entry<String, String> file : fresh.entrySet()) {
            String old = committed.get(file.getKey());
            if (old == null) {
                drift.add(file.getKey() + ": written by the generator, but not committed");
            } else if (!old.equals(file.getValue())) {
                drift.add(file.getKey() + ": differs from line " + firstDifferentLine(old, file.getValue()));
            }
        }
        assertThat(drift)
                .as("generated bindings drifted from bindings.list or the headers; run bindings/regenerate.sh and review the diff")
                .isEmpty();
        assertThat(fresh).isNotEmpty();
    }

    private static Map<String, String> files(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(path).toString(), Files.readString(path, StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    private static int firstDifferentLine(String a, String b) {
        String[] left = a.split("\n", -1);
        String[] right = b.split("\n", -1);
        for (int i = 0; i < Math.min(left.length, right.length); i++) {
            if (!left[i].equals(right[i])) {
                return i + 1;
            }
        }
        return Math.min(left.length, right.length) + 1;
    }
}
