package dev.jktstr.bindgen;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Compares generated bindings with what gcc says about the same C declarations. The generator's
 * manifest ({@code layout-probe.tsv}) lists every record, field, bitfield and constant it emitted; this
 * class writes a C program that prints sizeof/alignof/offsetof and values for each, compiles it with
 * gcc, and checks the Java side through reflection over the generated classes: their {@code LAYOUT},
 * {@code $OFFSET} and {@code $LAYOUT} constants, bitfield setters and getters, and constants. It also
 * checks that the manifest covers everything the classes expose.
 */
final class LayoutProbe {

    /** One line of the manifest; {@code words} are its tab-separated fields after the kind. */
    private record Entry(String kind, List<String> words) {}

    private final String group;
    private final String packageName;
    private final List<String> headers = new ArrayList<>();
    private final List<String> includes = new ArrayList<>();
    private final List<String> defines = new ArrayList<>();
    private final List<Entry> entries = new ArrayList<>();

    LayoutProbe(String group, String manifest) {
        this.group = group;
        this.packageName = JavaEmitter.PACKAGE_ROOT + "." + group;
        for (String line : manifest.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\t");
            List<String> rest = List.of(words).subList(1, words.length);
            switch (words[0]) {
                case "header" -> headers.add(words[1]);
                case "include" -> includes.add(words[1]);
                case "define" -> defines.add(words[1]);
                default -> entries.add(new Entry(words[0], rest));
            }
        }
    }

    static boolean gccAvailable() {
        try {
            Process process = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The group's include directories as the list names them: relative to the list's directory. */
    List<String> includes() {
        return List.copyOf(includes);
    }

    int entryCount() {
        return entries.size();
    }

    /** The probe: one printf per manifest entry, prefixed with the entry's index. */
    String cSource() {
        StringBuilder c = new StringBuilder("/* layout probe for group " + group + " */\n");
        for (String header : headers) {
            c.append("#include <").append(header).append(">\n");
        }
        c.append("#include <stdio.h>\n#include <string.h>\n#include <stddef.h>\n\n");
        // glibc spells some members as macros (#define sa_handler __sigaction_handler.sa_handler): here
        // every member name must mean the member itself.
        Set<String> constantNames = new java.util.HashSet<>();
        Set<String> memberNames = new java.util.TreeSet<>();
        for (Entry e : entries) {
            switch (e.kind()) {
                case "const" -> constantNames.add(e.words().get(0));
                case "field", "bitfield" -> memberNames.add(e.words().get(1));
                default -> { }
            }
        }
        memberNames.removeAll(constantNames);
        for (String member : memberNames) {
            c.append("#undef ").append(member).append('\n');
        }
        c.append("static void bytes(const void *p, size_t n) {\n")
                .append("    const unsigned char *b = p;\n")
                .append("    for (size_t i = 0; i < n; i++) printf(\"%02x\", b[i]);\n")
                .append("}\n\nint main(void) {\n");
        Map<String, String> cTypes = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            List<String> w = e.words();
            switch (e.kind()) {
                case "record" -> {
                    cTypes.put(w.get(0), w.get(1));
                    c.append("    printf(\"").append(i).append(" %zu %zu\\n\", sizeof(").append(w.get(1))
                            .append("), _Alignof(").append(w.get(1)).append("));\n");
                }
                case "field" -> {
                    String type = cTypes.get(w.get(0));
                    String size = w.get(3).equals("flexible") ? "(size_t) 0"
                            : "sizeof(((" + type + " *)0)->" + w.get(1) + ")";
                    c.append("    printf(\"").append(i).append(" %zu %zu\\n\", offsetof(").append(type).append(", ")
                            .append(w.get(1)).append("), ").append(size).append(");\n");
                }
                case "bitfield" -> {
                    String type = cTypes.get(w.get(0));
                    c.append("    { ").append(type).append(" v; memset(&v, 0, sizeof v); v.").append(w.get(1))
                            .append(" = -1; printf(\"").append(i).append(" \"); bytes(&v, sizeof v); printf(\" %lld\\n\", (long long) v.")
                            .append(w.get(1)).append("); }\n");
                }
                case "const" -> c.append("    printf(\"").append(i).append(" %lld\\n\", (long long) (").append(w.get(0))
                        .append("));\n");
                default -> throw new IllegalArgumentException("unknown manifest line kind " + e.kind());
            }
        }
        return c.append("    return 0;\n}\n").toString();
    }

    /** Compiles and runs the probe in {@code workDir}; returns its output, one line per entry. */
    List<String> runProbe(Path workDir) throws IOException, InterruptedException {
        return runProbe(workDir, List.of());
    }

    /** As {@link #runProbe(Path)}, with more gcc arguments (include directories). */
    List<String> runProbe(Path workDir, List<String> gccArguments) throws IOException, InterruptedException {
        Path source = workDir.resolve("probe_" + group + ".c");
        Path binary = workDir.resolve("probe_" + group);
        Files.writeString(source, cSource(), StandardCharsets.UTF_8);
        List<String> gcc = new ArrayList<>(List.of("gcc", "-w", "-std=gnu17", "-o", binary.toString(), source.toString()));
        for (String define : defines) {
            gcc.add("-D" + define);
        }
        gcc.addAll(gccArguments);
        run(gcc, workDir);
        List<String> output = List.of(run(List.of(binary.toString()), workDir).split("\n"));
        if (output.size() != entries.size()) {
            throw new IllegalStateException("probe printed " + output.size() + " lines for " + entries.size() + " entries");
        }
        return output;
    }

    /** Every difference between the Java classes and the probe's output; empty when they agree. */
    List<String> compare(List<String> probeOutput, ClassLoader loader, Set<String> topLevelClasses)
            throws ReflectiveOperationException {
        List<String> problems = new ArrayList<>();
        Set<String> recordClasses = new LinkedHashSet<>();
        Map<String, Set<String>> offsetFields = new HashMap<>();
        Map<String, Set<String>> unitFields = new HashMap<>();
        Set<String> constants = new LinkedHashSet<>();
        Map<String, Map<String, Long>> layoutOffsets = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            List<String> w = e.words();
            String[] c = probeOutput.get(i).split(" ");
            if (!c[0].equals(Integer.toString(i))) {
                throw new IllegalStateException("probe line " + i + " is " + probeOutput.get(i));
            }
            switch (e.kind()) {
                case "record" -> {
                    Class<?> type = loader.loadClass(packageName + "." + w.get(0));
                    recordClasses.add(w.get(0));
                    MemoryLayout layout = (MemoryLayout) type.getField("LAYOUT").get(null);
                    expect(problems, w.get(1) + " size", Long.parseLong(c[1]), layout.byteSize());
                    expect(problems, w.get(1) + " alignment", Long.parseLong(c[2]), layout.byteAlignment());
                }
                case "field" -> {
                    Class<?> type = loader.loadClass(packageName + "." + w.get(0));
                    String javaName = w.get(2);
                    offsetFields.computeIfAbsent(w.get(0), k -> new LinkedHashSet<>()).add(javaName + "$OFFSET");
                    long offset = type.getField(javaName + "$OFFSET").getLong(null);
                    MemoryLayout memberLayout = (MemoryLayout) type.getField(javaName + "$LAYOUT").get(null);
                    String what = w.get(0) + "." + w.get(1);
                    expect(problems, what + " offset", Long.parseLong(c[1]), offset);
                    expect(problems, what + " size", Long.parseLong(c[2]), memberLayout.byteSize());
                    MemoryLayout whole = (MemoryLayout) type.getField("LAYOUT").get(null);
                    Long inLayout = layoutOffsets.computeIfAbsent(w.get(0), k -> namedOffsets(whole)).get(w.get(1));
                    if (inLayout == null || inLayout != offset) {
                        problems.add(what + ": LAYOUT puts it at " + inLayout + ", " + javaName + "$OFFSET says " + offset);
                    }
                }
                case "bitfield" -> {
                    Class<?> type = loader.loadClass(packageName + "." + w.get(0));
                    String javaName = w.get(2);
                    unitFields.computeIfAbsent(w.get(0), k -> new LinkedHashSet<>()).add(javaName + "$UNIT_OFFSET");
                    boolean wide = w.get(3).equals("long");
                    Class<?> valueType = wide ? long.class : int.class;
                    MemoryLayout layout = (MemoryLayout) type.getField("LAYOUT").get(null);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment struct = arena.allocate(layout);
                        Method setter = type.getMethod(javaName, MemorySegment.class, valueType);
                        setter.invoke(null, struct, wide ? (Object) (-1L) : (Object) (-1));
                        String bytes = HexFormat.of().formatHex(struct.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                        String what = w.get(0) + "." + w.get(1);
                        if (!bytes.equals(c[1])) {
                            problems.add(what + ": setting all bits gives " + bytes + " in Java, " + c[1] + " in C");
                        }
                        Object read = type.getMethod(javaName, MemorySegment.class).invoke(null, struct);
                        expect(problems, what + " read back", Long.parseLong(c[2]), ((Number) read).longValue());
                    }
                }
                case "const" -> {
                    Class<?> holder = loader.loadClass(packageName + "." + JavaNames.groupClassName(group));
                    constants.add(w.get(0));
                    expect(problems, w.get(0), Long.parseLong(c[1]), holder.getField(w.get(0)).getLong(null));
                }
                default -> throw new IllegalStateException(e.kind());
            }
        }
        coverage(problems, loader, topLevelClasses, recordClasses, offsetFields, unitFields, constants);
        return problems;
    }

    /** Everything the classes expose must have been checked: no constant, offset or class the manifest skips. */
    private void coverage(List<String> problems, ClassLoader loader, Set<String> topLevelClasses, Set<String> recordClasses,
                          Map<String, Set<String>> offsetFields, Map<String, Set<String>> unitFields, Set<String> constants)
            throws ClassNotFoundException {
        String holderName = JavaNames.groupClassName(group);
        for (String top : topLevelClasses) {
            Class<?> type = loader.loadClass(packageName + "." + top);
            if (top.equals(holderName)) {
                for (Field field : type.getDeclaredFields()) {
                    int m = field.getModifiers();
                    if (Modifier.isPublic(m) && Modifier.isStatic(m) && (field.getType() == int.class || field.getType() == long.class)
                            && !constants.contains(field.getName())) {
                        problems.add(holderName + "." + field.getName() + " is not in the manifest");
                    }
                }
                continue;
            }
            List<Class<?>> classes = new ArrayList<>();
            collectClasses(type, classes);
            for (Class<?> cls : classes) {
                String binary = cls.getName().substring(packageName.length() + 1);
                if (!recordClasses.contains(binary)) {
                    problems.add("class " + binary + " is not in the manifest");
                }
                for (Field field : cls.getDeclaredFields()) {
                    String name = field.getName();
                    if (name.endsWith("$OFFSET") && !offsetFields.getOrDefault(binary, Set.of()).contains(name)) {
                        problems.add(binary + "." + name + " is not in the manifest");
                    }
                    if (name.endsWith("$UNIT_OFFSET") && !unitFields.getOrDefault(binary, Set.of()).contains(name)) {
                        problems.add(binary + "." + name + " is not in the manifest");
                    }
                }
            }
        }
    }

    private static void collectClasses(Class<?> type, List<Class<?>> out) {
        out.add(type);
        for (Class<?> nested : type.getDeclaredClasses()) {
            collectClasses(nested, out);
        }
    }

    /** Offsets of the named members of a layout, looking through anonymous members ($anon...). */
    static Map<String, Long> namedOffsets(MemoryLayout layout) {
        Map<String, Long> offsets = new HashMap<>();
        collectOffsets(layout, 0, offsets);
        return offsets;
    }

    private static void collectOffsets(MemoryLayout layout, long base, Map<String, Long> out) {
        if (!(layout instanceof GroupLayout group)) {
            return;
        }
        long offset = 0;
        for (MemoryLayout member : group.memberLayouts()) {
            long at = base + (group instanceof java.lang.foreign.StructLayout ? offset : 0);
            String name = member.name().orElse("");
            if (name.startsWith("$anon")) {
                collectOffsets(member, at, out);
            } else if (!name.isEmpty() && !name.startsWith("$") && !(member instanceof PaddingLayout)) {
                out.put(name, at);
            }
            offset += member.byteSize();
        }
    }

    private static void expect(List<String> problems, String what, long c, long java) {
        if (c != java) {
            problems.add(what + ": C says " + c + ", Java says " + java);
        }
    }

    private static String run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ":\n" + output);
        }
        return output;
    }
}
