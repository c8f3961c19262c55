package dev.jktstr.bindgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator on a header full of corner cases (tricky.h: bitfields, packed records holding aligned
 * ones, anonymous members inside arrays of anonymous types, flexible arrays, Java keywords as member
 * names, constants of every width): the output compiles, agrees with gcc, and its accessors work.
 */
class GeneratorTest {

    @TempDir
    static Path work;
    private static Map<String, String> files;
    private static URLClassLoader loader;

    @BeforeAll
    static void generateCompileAndLoad() throws Exception {
        GeneratorAssumptions.assumeLibclang();
        Path include = Path.of(GeneratorTest.class.getResource("tricky/tricky.h").toURI()).getParent();
        BindingList list = BindingList.parse("tricky.list", List.of(
                "group tricky",
                "header tricky.h",
                "const TRICKY_*",
                "struct tricky_*",
                "union tricky_union",
                "typedef tricky_typedef_t"));
        files = Main.generate(list, List.of("-I" + include));
        Path sources = work.resolve("src");
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = sources.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
        }
        List<String> javaFiles = files.keySet().stream().filter(f -> f.endsWith(".java"))
                .map(f -> sources.resolve(f).toString()).toList();
        Path classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-Xlint:all", "-Werror", "--release", "25", "-d", classes.toString()));
        args.addAll(javaFiles);
        java.io.ByteArrayOutputStream diagnostics = new java.io.ByteArrayOutputStream();
        int exit = javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        assertThat(exit).as("javac on the generated sources: %s", diagnostics).isZero();
        loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, GeneratorTest.class.getClassLoader());
    }

    private static Class<?> type(String name) throws ClassNotFoundException {
        return loader.loadClass("dev.jktstr.bindings.tricky." + name);
    }

    @Test
    void layoutsBitfieldsAndConstantsMatchGcc() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(LayoutProbe.gccAvailable(), "gcc is missing (apt-get install gcc)");
        Path include = Path.of(GeneratorTest.class.getResource("tricky/tricky.h").toURI()).getParent();
        LayoutProbe probe = new LayoutProbe("tricky", files.get("dev/jktstr/bindings/tricky/layout-probe.tsv"));
        Set<String> classes = new TreeSet<>();
        files.keySet().stream().filter(f -> f.endsWith(".java"))
                .forEach(f -> classes.add(f.substring(f.lastIndexOf('/') + 1, f.length() - ".java".length())));

        List<String> problems = probe.compare(probe.runProbe(work, List.of("-I" + include)), loader, classes);

        assertThat(problems).isEmpty();
        assertThat(classes).contains("TrickyH", "TrickyPlain", "TrickyBits", "TrickyPacked", "TrickyAnonymous",
                "TrickyAnonymousBits", "TrickyUnion", "TrickyKeywords", "TrickyTypedefT", "TrickyAligned", "TrickyUses");
    }

    @Test
    void constantsFollowTheIntOrLongRule() throws Exception {
        Class<?> h = type("TrickyH");
        assertThat(h.getField("TRICKY_SMALL").getType()).isEqualTo(int.class);
        assertThat(h.getField("TRICKY_NEGATIVE").getInt(null)).isEqualTo(-5);
        assertThat(h.getField("TRICKY_UNSIGNED_BIG").getType()).isEqualTo(long.class); // 2^31 does not fit an int
        assertThat(h.getField("TRICKY_UNSIGNED_BIG").getLong(null)).isEqualTo(0x8000_0000L);
        assertThat(h.getField("TRICKY_WIDE").getType()).isEqualTo(long.class);
        assertThat(h.getField("TRICKY_WIDE_SMALL").getType()).isEqualTo(long.class); // unsigned long in C
        assertThat(h.getField("TRICKY_IO").getType()).isEqualTo(long.class); // ioctl numbers are always long
        assertThat(h.getField("TRICKY_IOR").getType()).isEqualTo(long.class);
        assertThat(h.getField("TRICKY_CHAR").getInt(null)).isEqualTo('A');
        assertThat(h.getField("TRICKY_ALIAS").getInt(null)).isEqualTo(7);
        assertThat(h.getField("TRICKY_C").getInt(null)).isEqualTo(-1);
        assertThat(h.getField("TRICKY_HUGE").getType()).isEqualTo(long.class);
        assertThat(h.getField("TRICKY_ANONYMOUS_ENUM").getInt(null)).isEqualTo(42);
        assertThat(List.of(h.getFields())).extracting(java.lang.reflect.Field::getName)
                .doesNotContain("TRICKY_STRING", "TRICKY_FUNCTION_LIKE");
        assertThat(files.get("dev/jktstr/bindings/tricky/TrickyH.java"))
                .contains("#define TRICKY_IOR _IOR('T', 2, struct tricky_plain)")
                .startsWith("// Generated by dev.jktstr.bindgen.Main from tricky.h; do not edit.\n");
    }

    @Test
    void accessorsReachNestedAnonymousAndFlexibleMembers() throws Exception {
        Class<?> anonymous = type("TrickyAnonymous");
        Class<?> named = type("TrickyAnonymous$Named");
        Class<?> point = type("TrickyAnonymous$Point");
        try (Arena arena = Arena.ofConfined()) {
            MemoryLayout layout = (MemoryLayout) anonymous.getField("LAYOUT").get(null);
            MemorySegment s = arena.allocate(layout.byteSize() + 3 * Integer.BYTES, layout.byteAlignment());

            // Fields of anonymous members belong to the enclosing record, as in C.
            anonymous.getMethod("lo", MemorySegment.class, short.class).invoke(null, s, (short) 0x1234);
            assertThat(s.get(ValueLayout.JAVA_SHORT, anonymous.getField("lo$OFFSET").getLong(null))).isEqualTo((short) 0x1234);
            MemorySegment p = (MemorySegment) anonymous.getMethod("point", MemorySegment.class).invoke(null, s);
            point.getMethod("y", MemorySegment.class, int.class).invoke(null, p, 99);
            assertThat(anonymous.getMethod("id", MemorySegment.class).invoke(null, s)).isEqualTo(99L << 32 | 0x1234);

            // Arrays of anonymous types: an indexed slice, then the nested class's accessors.
            MemorySegment second = (MemorySegment) anonymous.getMethod("named", MemorySegment.class, long.class).invoke(null, s, 1L);
            named.getMethod("deep_u1", MemorySegment.class, int.class).invoke(null, second, 7);
            assertThat(second.address() - s.address()).isEqualTo(named.getField("LAYOUT").get(null) instanceof MemoryLayout l
                    ? anonymous.getField("named$OFFSET").getLong(null) + l.byteSize() : -1);

            // A flexible array reaches to the end of the segment.
            Method flex = anonymous.getMethod("flex", MemorySegment.class, long.class, int.class);
            flex.invoke(null, s, 2L, 5);
            assertThat(((MemorySegment) anonymous.getMethod("flex", MemorySegment.class).invoke(null, s)).byteSize())
                    .isEqualTo(3 * Integer.BYTES);
            assertThat(anonymous.getMethod("flex", MemorySegment.class, long.class).invoke(null, s, 2L)).isEqualTo(5);
        }
    }

    @Test
    void javaKeywordsGetATrailingUnderscore() throws Exception {
        Class<?> keywords = type("TrickyKeywords");
        assertThat(keywords.getMethod("class_", MemorySegment.class)).isNotNull();
        assertThat(keywords.getMethod("new_", MemorySegment.class)).isNotNull();
        assertThat(keywords.getMethod("__", MemorySegment.class)).isNotNull();
        assertThat(keywords.getField("LAYOUT$OFFSET").getLong(null)).isEqualTo(12);
    }

    @Test
    void packedRecordsUseUnalignedMembers() throws Exception {
        Class<?> packed = type("TrickyPacked");
        MemoryLayout layout = (MemoryLayout) packed.getField("LAYOUT").get(null);
        assertThat(layout.byteAlignment()).isEqualTo(1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(layout);
            packed.getMethod("tail", MemorySegment.class, long.class).invoke(null, s, 0x0102030405060708L);
            assertThat(packed.getMethod("tail", MemorySegment.class).invoke(null, s)).isEqualTo(0x0102030405060708L);
        }
    }

    @Test
    void outputIsDeterministic() {
        Path include = work; // unused include dir: the output must not depend on the arguments' paths either
        Map<String, String> again = Main.generate(BindingList.parse("tricky.list", List.of(
                "group tricky", "header tricky.h", "const TRICKY_*", "struct tricky_*", "union tricky_union",
                "typedef tricky_typedef_t")), List.of("-I" + includeDir(), "-I" + include));
        assertThat(again).isEqualTo(files);
    }

    @Test
    void includeDirectoriesOfTheListWorkLikeIncludeArguments() {
        Map<String, String> viaList = Main.generate(BindingList.parse(includeDir().getParent(), "tricky.list", List.of(
                "group tricky", "include tricky", "header tricky.h", "const TRICKY_*", "struct tricky_*",
                "union tricky_union", "typedef tricky_typedef_t")));
        // The manifest names the include directory (the layout probe needs it); everything else is the same.
        assertThat(viaList.keySet()).isEqualTo(files.keySet());
        viaList.forEach((path, content) -> assertThat(content).as(path).isEqualTo(path.endsWith(JavaEmitter.MANIFEST_FILE)
                ? files.get(path).replaceFirst("\nheader\ttricky.h\n", "\nheader\ttricky.h\ninclude\ttricky\n")
                : files.get(path)));
    }

    private static Path includeDir() {
        try {
            return Path.of(GeneratorTest.class.getResource("tricky/tricky.h").toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
