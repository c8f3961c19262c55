package dev.jktstr.bindgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checked-in input list ({@code bindings/bindings.list}): per group, the headers and the names to
 * generate. Line format, one directive and its words per line, {@code #} starts a comment:
 *
 * <pre>
 * group NAME                 starts a group; its output package is dev.jktstr.bindings.NAME
 * header H...                #include &lt;H&gt;, in order
 * include DIR...             also search DIR for the headers (-I), relative to the list's directory
 * define NAME[=VALUE]...     -D for clang (and for the layout probe)
 * const PATTERN... !PATTERN  macros and enum constants; * matches any run of characters; ! excludes
 * struct PATTERN...          struct tags      (records they contain are generated too)
 * union PATTERN...           union tags
 * typedef PATTERN...         typedef names of records (typedef struct {...} Elf64_Ehdr)
 * function NAME...           downcall handles (errno captured)
 * variadic NAME TYPE...      one more handle of a variadic function, called with these extra
 *                            arguments: int, long, pointer or double
 * library SONAME...          where the functions resolve: the first of these shared libraries that
 *                            loads (-Djktstr.library.GROUP=PATH overrides); without it, the default
 *                            lookup (libc)
 * </pre>
 *
 * A plain name that matches nothing is an error; a pattern with {@code *} that matches nothing is too.
 *
 * @param directory where the list is: {@code include} directories are relative to it
 */
record BindingList(Path directory, List<Group> groups) {

    private static final Pattern GROUP_NAME = Pattern.compile("[a-z][a-z0-9]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_*][A-Za-z0-9_*]*");
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9_./+-]+\\.h");
    /** Relative, so that neither the output nor the manifest depends on where the tree is checked out. */
    private static final Pattern INCLUDE = Pattern.compile("[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*/?");
    private static final Pattern DEFINE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_]*)?");
    private static final Pattern LIBRARY = Pattern.compile("lib[A-Za-z0-9_+-]+\\.so(\\.[0-9]+)*");
    static final Set<String> VARIADIC_TYPES = Set.of("int", "long", "pointer", "double");

    /** The kind of record a name in the list designates. */
    enum RecordKind { STRUCT, UNION, TYPEDEF }

    record RecordName(RecordKind kind, String pattern) {
        @Override
        public String toString() {
            return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + pattern;
        }
    }

    record Variant(String function, List<String> types) {}

    record Group(String name, List<String> headers, List<String> includes, List<String> defines,
                 List<String> constants, List<String> excludedConstants, List<RecordName> records,
                 List<String> functions, List<Variant> variants, List<String> libraries) {}

    static BindingList read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BindgenException("cannot read the binding list " + file + ": " + e.getMessage());
        }
        return parse(file.toAbsolutePath().getParent(), file.getFileName().toString(), lines);
    }

    /** A list whose {@code include} directories are relative to the working directory. */
    static BindingList parse(String source, List<String> lines) {
        return parse(Path.of("").toAbsolutePath(), source, lines);
    }

    static BindingList parse(Path directory, String source, List<String> lines) {
        List<Group> groups = new ArrayList<>();
        Builder current = null;
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String where = source + ":" + (i + 1);
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\\s+");
            String directive = words[0];
            List<String> args = List.of(words).subList(1, words.length);
            if (args.isEmpty()) {
                throw new BindgenException(where + ": '" + directive + "' needs at least one argument");
            }
            if (directive.equals("group")) {
                if (args.size() != 1 || !GROUP_NAME.matcher(args.get(0)).matches()) {
                    throw new BindgenException(where + ": a group name is one lowercase word, got " + args);
                }
                if (!seen.add(args.get(0))) {
                    throw new BindgenException(where + ": group " + args.get(0) + " appears twice");
                }
                if (current != null) {
                    groups.add(current.build(source));
                }
                current = new Builder(args.get(0));
                continue;
            }
            if (current == null) {
                throw new BindgenException(where + ": '" + directive + "' before the first 'group' line");
            }
            Builder group = current;
            switch (directive) {
                case "header" -> group.headers.addAll(checked(where, args, HEADER, "header"));
                case "include" -> group.includes.addAll(checked(where, args, INCLUDE,
                        "include directory (a relative path, from the list's directory)"));
                case "define" -> group.defines.addAll(checked(where, args, DEFINE, "define"));
                case "const" -> {
                    for (String arg : args) {
                        if (arg.startsWith("!")) {
                            group.excluded.addAll(checked(where, List.of(arg.substring(1)), NAME, "pattern"));
                        } else {
                            group.constants.addAll(checked(where, List.of(arg), NAME, "pattern"));
                        }
                    }
                }
                case "struct" -> checked(where, args, NAME, "name")
                        .forEach(n -> group.records.add(new RecordName(RecordKind.STRUCT, n)));
                case "union" -> checked(where, args, NAME, "name")
                        .forEach(n -> group.records.add(new RecordName(RecordKind.UNION, n)));
                case "typedef" -> checked(where, args, NAME, "name")
                        .forEach(n -> group.records.add(new RecordName(RecordKind.TYPEDEF, n)));
                case "function" -> group.functions.addAll(checked(where, args, NAME, "name"));
                case "library" -> group.libraries.addAll(checked(where, args, LIBRARY, "library (a soname such as libzstd.so.1)"));
                case "variadic" -> {
                    if (args.size() < 2) {
                        throw new BindgenException(where + ": 'variadic NAME TYPE...' needs a function and its extra argument types");
                    }
                    for (String type : args.subList(1, args.size())) {
                        if (!VARIADIC_TYPES.contains(type)) {
                            throw new BindgenException(where + ": variadic argument type '" + type + "' is not one of "
                                    + new java.util.TreeSet<>(VARIADIC_TYPES));
                        }
                    }
                    group.variants.add(new Variant(args.get(0), List.copyOf(args.subList(1, args.size()))));
                }
                default -> throw new BindgenException(where + ": unknown directive '" + directive
                        + "' (expected group, header, include, define, const, struct, union, typedef, function, variadic"
                        + " or library)");
            }
        }
        if (current != null) {
            groups.add(current.build(source));
        }
        if (groups.isEmpty()) {
            throw new BindgenException(source + ": no groups");
        }
        return new BindingList(directory, List.copyOf(groups));
    }

    /** An {@code include} directory of the list as a path: resolved against the list's directory. */
    Path includeDirectory(String include) {
        return directory.resolve(include).normalize();
    }

    private static List<String> checked(String where, List<String> args, Pattern pattern, String what) {
        for (String arg : args) {
            if (!pattern.matcher(arg).matches()) {
                throw new BindgenException(where + ": '" + arg + "' is not a valid " + what);
            }
        }
        return args;
    }

    /** Whether {@code name} matches a list pattern, where {@code *} stands for any run of characters. */
    static boolean matches(String pattern, String name) {
        if (pattern.indexOf('*') < 0) {
            return pattern.equals(name);
        }
        return Pattern.compile(Pattern.quote(pattern).replace("*", "\\E.*\\Q")).matcher(name).matches();
    }

    static boolean isPattern(String name) {
        return name.indexOf('*') >= 0;
    }

    private static final class Builder {
        final String name;
        final List<String> headers = new ArrayList<>();
        final List<String> includes = new ArrayList<>();
        final List<String> defines = new ArrayList<>();
        final List<String> constants = new ArrayList<>();
        final List<String> excluded = new ArrayList<>();
        final List<RecordName> records = new ArrayList<>();
        final List<String> functions = new ArrayList<>();
        final List<Variant> variants = new ArrayList<>();
        final List<String> libraries = new ArrayList<>();

        Builder(String name) {
            this.name = name;
        }

        Group build(String source) {
            if (headers.isEmpty()) {
                throw new BindgenException(source + ": group " + name + " lists no header");
            }
            if (!libraries.isEmpty() && functions.isEmpty()) {
                throw new BindgenException(source + ": group " + name + " names a library but binds no function");
            }
            return new Group(name, List.copyOf(headers), List.copyOf(includes), List.copyOf(defines), List.copyOf(constants),
                    List.copyOf(excluded), List.copyOf(records), List.copyOf(functions), List.copyOf(variants),
                    List.copyOf(libraries));
        }
    }
}
