package dev.jktstr.bindgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group with a {@code library} line: its functions resolve in that shared library, and when the
 * library cannot be loaded the class still initializes, says why, and its handles throw
 * {@link UnsatisfiedLinkError} (so a missing optional library is an error at the call, not at class init).
 */
class LibraryGroupTest {

    @TempDir
    Path work;

    @Test
    void functionsResolveInTheNamedLibrary() throws Throwable {
        Class<?> h = generate("withlib", "libc.so.6");
        assertThat(h.getField("LIBRARY$NAME").get(null)).isEqualTo("libc.so.6");
        assertThat(h.getField("LIBRARY$ERROR").get(null)).isNull();
        MethodHandle getpid = (MethodHandle) h.getField("getpid$mh").get(null);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
            assertThat((int) getpid.invoke(errno)).isEqualTo((int) ProcessHandle.current().pid());
        }
    }

    @Test
    void aMissingLibraryFailsAtTheCallNamingIt() throws Throwable {
        Class<?> h = generate("nolib", "libjktstr-missing.so.7");
        assertThat(h.getField("LIBRARY$NAME").get(null)).isNull();
        assertThat((String) h.getField("LIBRARY$ERROR").get(null)).startsWith("libjktstr-missing.so.7: ");
        assertThat(h.getField("SEEK_END").getInt(null)).isEqualTo(2); // constants need no library
        MethodHandle getpid = (MethodHandle) h.getField("getpid$mh").get(null);
        assertThat(getpid.type().parameterCount()).isEqualTo(1); // same type as a bound handle: errno segment
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
            assertThatThrownBy(() -> {
                int ignored = (int) getpid.invoke(errno);
            }).isInstanceOf(UnsatisfiedLinkError.class)
                    .hasMessageContaining("getpid: no library loaded (libjktstr-missing.so.7: ");
        }
    }

    private Class<?> generate(String group, String library) throws Exception {
        GeneratorAssumptions.assumeLibclang();
        BindingList list = BindingList.parse(group + ".list", List.of(
                "group " + group, "header unistd.h", "library " + library, "const SEEK_END", "function getpid"));
        Map<String, String> files = Main.generate(list, List.of());
        Path sources = work.resolve("src");
        List<String> javaFiles = new ArrayList<>();
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = sources.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            if (file.getKey().endsWith(".java")) {
                javaFiles.add(path.toString());
            }
        }
        Path classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-Xlint:all", "-Werror", "--release", "25", "-d", classes.toString()));
        args.addAll(javaFiles);
        java.io.ByteArrayOutputStream diagnostics = new java.io.ByteArrayOutputStream();
        assertThat(javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new)))
                .as("javac on the generated sources: %s", diagnostics).isZero();
        URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader());
        return loader.loadClass("dev.jktstr.bindings." + group + "." + JavaNames.groupClassName(group));
    }
}
