package dev.jktstr.bindgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed bindings against gcc: every generated struct's size, alignment and member offsets and
 * sizes, every bitfield accessor and every constant, per group (see {@link LayoutProbe}).
 */
class LayoutProbeTest {

    static Stream<String> groups() throws IOException {
        try (Stream<Path> dirs = Files.list(BindingsTree.generatedPackageRoot())) {
            return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "group {0}")
    @MethodSource("groups")
    void generatedBindingsMatchWhatGccSays(String group, @TempDir Path work) throws Exception {
        Assumptions.assumeTrue(LayoutProbe.gccAvailable(),
                "gcc is missing: the layout probe is C compiled with gcc (apt-get install gcc)");
        Path dir = BindingsTree.generatedPackageRoot().resolve(group);
        LayoutProbe probe = new LayoutProbe(group,
                Files.readString(dir.resolve(JavaEmitter.MANIFEST_FILE), StandardCharsets.UTF_8));
        Set<String> classes = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".java"))
                    .forEach(n -> classes.add(n.substring(0, n.length() - ".java".length())));
        }

        List<String> includes = probe.includes().stream()
                .map(d -> "-I" + BindingsTree.module().resolve(d).normalize()).toList();
        List<String> problems = probe.compare(probe.runProbe(work, includes), getClass().getClassLoader(), classes);

        assertThat(problems).as("differences between group %s and gcc", group).isEmpty();
        assertThat(probe.entryCount()).isPositive();
    }
}
