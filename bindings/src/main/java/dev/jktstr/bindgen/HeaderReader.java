package dev.jktstr.bindgen;

import dev.jktstr.bindgen.BindingList.RecordKind;
import dev.jktstr.bindgen.BindingList.RecordName;
import dev.jktstr.bindgen.Model.Anonymous;
import dev.jktstr.bindgen.Model.Array;
import dev.jktstr.bindgen.Model.BitField;
import dev.jktstr.bindgen.Model.Constant;
import dev.jktstr.bindgen.Model.Field;
import dev.jktstr.bindgen.Model.Function;
import dev.jktstr.bindgen.Model.Member;
import dev.jktstr.bindgen.Model.Opaque;
import dev.jktstr.bindgen.Model.Record;
import dev.jktstr.bindgen.Model.RecordRef;
import dev.jktstr.bindgen.Model.Scalar;
import dev.jktstr.bindgen.Model.Type;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads one group of the binding list through libclang into a {@link Model.Group}: parses its headers,
 * finds every listed name (failing with the names that are not declared), evaluates macros the way
 * jextract does and computes record layouts from clang's own record layout.
 */
final class HeaderReader {

    private static final String MACRO_VARIABLE_PREFIX = "jktstr_macro_";
    private static final Set<String> IOCTL_MACROS = Set.of("_IO", "_IOR", "_IOW", "_IOWR");

    private final Clang clang;
    private final BindingList.Group spec;
    private final List<String> args;
    private TranslationUnit unit;

    private final Map<String, Cursor> macros = new TreeMap<>();
    private final Map<String, Cursor> enumConstants = new TreeMap<>();
    private final Map<String, Cursor> enumOfConstant = new HashMap<>();
    private final Map<String, Cursor> structs = new TreeMap<>();
    private final Map<String, Cursor> unions = new TreeMap<>();
    private final Map<String, Cursor> typedefs = new TreeMap<>();
    private final Map<String, Cursor> functions = new TreeMap<>();

    /** Every top-level record of the group, by C type spelling, in discovery order. */
    private final Map<String, Record> records = new LinkedHashMap<>();
    private final Deque<Runnable> pendingRecords = new ArrayDeque<>();

    private HeaderReader(Clang clang, BindingList.Group spec, Path resourceDir, List<String> extraArguments) {
        this.clang = clang;
        this.spec = spec;
        List<String> arguments = new ArrayList<>(clangArguments(spec, resourceDir));
        arguments.addAll(extraArguments);
        this.args = List.copyOf(arguments);
    }

    /** The arguments clang gets for a group: C as gcc compiles it, clang's resource dir, the group's defines. */
    static List<String> clangArguments(BindingList.Group spec, Path resourceDir) {
        List<String> args = new ArrayList<>(List.of("-x", "c", "-std=gnu17", "-ferror-limit=0",
                "-resource-dir", resourceDir.toString()));
        for (String define : spec.defines()) {
            args.add("-D" + define);
        }
        return args;
    }

    static Model.Group read(Clang clang, BindingList.Group spec, Path resourceDir, List<String> extraArguments) {
        return new HeaderReader(clang, spec, resourceDir, extraArguments).read();
    }

    private Model.Group read() {
        unit = clang.parse(sourceName("headers"), includes(), args,
                LibClang.PARSE_DETAILED_PREPROCESSING_RECORD | LibClang.PARSE_SKIP_FUNCTION_BODIES);
        checkErrors(unit, "its headers do not compile");
        index();
        List<String> missing = new ArrayList<>();
        List<Constant> constants = constants(missing);
        List<Record> resolved = records(missing);
        List<Function> bound = functions(missing);
        if (!missing.isEmpty()) {
            throw new BindgenException("group " + spec.name() + ": not declared in " + String.join(", ", spec.headers())
                    + ": " + String.join(", ", missing));
        }
        return new Model.Group(spec.name(), spec.headers(), spec.includes(), spec.defines(), constants, resolved, bound,
                spec.libraries());
    }

    private String sourceName(String what) {
        return "/jktstr-bindgen/" + spec.name() + "-" + what + ".c";
    }

    private String includes() {
        StringBuilder source = new StringBuilder();
        for (String header : spec.headers()) {
            source.append("#include <").append(header).append(">\n");
        }
        return source.toString();
    }

    private void checkErrors(TranslationUnit parsed, String what) {
        List<String> errors = parsed.errors();
        if (errors.isEmpty()) {
            return;
        }
        for (String header : spec.headers()) {
            for (String error : errors) {
                if (error.contains("'" + header + "' file not found")) {
                    throw new BindgenException("group " + spec.name() + ": header " + header + " not found ("
                            + error + ")");
                }
            }
        }
        throw new BindgenException("group " + spec.name() + ": " + what + ":\n  "
                + String.join("\n  ", errors.subList(0, Math.min(errors.size(), 10))));
    }

    /** Indexes the top-level declarations and macros by name. */
    private void index() {
        for (Cursor cursor : unit.cursor().children()) {
            switch (cursor.kind()) {
                case LibClang.CURSOR_MACRO_DEFINITION -> {
                    if (!cursor.isMacroFunctionLike() && !cursor.isMacroBuiltin() && !cursor.fileName().isEmpty()) {
                        macros.put(cursor.spelling(), cursor);
                    }
                }
                case LibClang.CURSOR_ENUM_DECL -> {
                    for (Cursor constant : cursor.children()) {
                        if (constant.kind() == LibClang.CURSOR_ENUM_CONSTANT_DECL) {
                            enumConstants.putIfAbsent(constant.spelling(), constant);
                            enumOfConstant.putIfAbsent(constant.spelling(), cursor);
                        }
                    }
                }
                case LibClang.CURSOR_STRUCT_DECL -> {
                    if (cursor.isDefinition() && !cursor.isAnonymous()) {
                        structs.putIfAbsent(cursor.spelling(), cursor);
                    }
                }
                case LibClang.CURSOR_UNION_DECL -> {
                    if (cursor.isDefinition() && !cursor.isAnonymous()) {
                        unions.putIfAbsent(cursor.spelling(), cursor);
                    }
                }
                case LibClang.CURSOR_TYPEDEF_DECL -> typedefs.putIfAbsent(cursor.spelling(), cursor);
                case LibClang.CURSOR_FUNCTION_DECL -> functions.putIfAbsent(cursor.spelling(), cursor);
                default -> { }
            }
        }
    }

    // --- constants --------------------------------------------------------------------------------------

    private List<Constant> constants(List<String> missing) {
        Set<String> wanted = new TreeSet<>();
        for (String pattern : spec.constants()) {
            List<String> matched = new ArrayList<>();
            for (String name : macros.keySet()) {
                if (BindingList.matches(pattern, name)) {
                    matched.add(name);
                }
            }
            for (String name : enumConstants.keySet()) {
                if (BindingList.matches(pattern, name)) {
                    matched.add(name);
                }
            }
            if (matched.isEmpty()) {
                missing.add(pattern);
            }
            wanted.addAll(matched);
        }
        wanted.removeIf(name -> spec.excludedConstants().stream().anyMatch(p -> BindingList.matches(p, name)));

        Map<String, Constant> macroValues = evaluateMacros(wanted.stream().filter(macros::containsKey).toList());
        List<Constant> constants = new ArrayList<>();
        List<String> notIntegers = new ArrayList<>();
        for (String name : wanted) {
            Constant constant = macroValues.get(name);
            if (constant == null && enumConstants.containsKey(name)) {
                constant = enumConstant(name);
            }
            if (constant != null) {
                constants.add(constant);
            } else if (spec.constants().contains(name)) {
                notIntegers.add(name);
            }
        }
        if (!notIntegers.isEmpty()) {
            throw new BindgenException("group " + spec.name() + ": not integer constants: " + String.join(", ", notIntegers)
                    + " (only macros and enum values that evaluate to integers can be bound)");
        }
        return constants;
    }

    /**
     * The jextract way: a second translation unit declares {@code __auto_type jktstr_macro_X = (X);} for
     * each macro, and clang evaluates those variables. Macros that are not integer constants (strings,
     * types, pointers, function calls) evaluate to nothing and are left out.
     */
    private Map<String, Constant> evaluateMacros(List<String> names) {
        Map<String, Constant> values = new HashMap<>();
        if (names.isEmpty()) {
            return values;
        }
        StringBuilder source = new StringBuilder(includes());
        for (String name : names) {
            source.append("__auto_type ").append(MACRO_VARIABLE_PREFIX).append(name).append(" = (").append(name).append(");\n");
        }
        TranslationUnit evaluation = clang.parse(sourceName("macros"), source.toString(), args, LibClang.PARSE_SKIP_FUNCTION_BODIES);
        for (Cursor cursor : evaluation.cursor().children()) {
            if (cursor.kind() != LibClang.CURSOR_VAR_DECL || cursor.isInvalidDeclaration()) {
                continue;
            }
            String variable = cursor.spelling();
            if (!variable.startsWith(MACRO_VARIABLE_PREFIX)) {
                continue;
            }
            String name = variable.substring(MACRO_VARIABLE_PREFIX.length());
            ClangType type = cursor.type().canonical();
            Scalar scalar = scalarOf(type);
            if (scalar == null || scalar == Scalar.POINTER || scalar == Scalar.FLOAT || scalar == Scalar.DOUBLE) {
                continue;
            }
            boolean[] unsigned = new boolean[1];
            OptionalLong value = cursor.evaluateInteger(unsigned);
            if (value.isEmpty()) {
                continue;
            }
            List<String> tokens = macros.get(name).tokens();
            List<String> body = tokens.isEmpty() ? List.of() : tokens.subList(1, tokens.size());
            boolean ioctl = !body.isEmpty() && IOCTL_MACROS.contains(body.get(0));
            long v = value.getAsLong();
            boolean isLong = needsLong(ioctl, type.sizeOf() == 8, unsigned[0], v);
            String text = joinTokens(body);
            values.put(name, new Constant(name, v, isLong, "#define " + name + " " + text,
                    ioctl || text.contains("0x") || text.contains("0X") || text.contains("<<")));
        }
        return values;
    }

    private Constant enumConstant(String name) {
        Cursor constant = enumConstants.get(name);
        Cursor enumDecl = enumOfConstant.get(name);
        ClangType integer = enumDecl.enumIntegerType().canonical();
        boolean unsigned = !isSigned(integer.kind());
        long value = unsigned ? constant.enumConstantUnsignedValue() : constant.enumConstantValue();
        String enumName = enumDecl.isAnonymous() ? "an anonymous enum" : "enum " + enumDecl.spelling();
        return new Constant(name, value, needsLong(false, integer.sizeOf() == 8, unsigned, value),
                name + ", in " + enumName, false);
    }

    /**
     * The rule for a constant's Java type: long for ioctl request numbers, for 64-bit C types and for
     * values a Java int cannot hold; int otherwise.
     */
    static boolean needsLong(boolean ioctl, boolean wide, boolean unsigned, long value) {
        if (ioctl || wide) {
            return true;
        }
        if (unsigned) {
            return value < 0 || value > Integer.MAX_VALUE;
        }
        return value < Integer.MIN_VALUE || value > Integer.MAX_VALUE;
    }

    /** Macro tokens back to readable C: {@code _IOR(KVMIO, 0x04, struct kvm_msr_list)}. */
    static String joinTokens(List<String> tokens) {
        StringBuilder text = new StringBuilder();
        String previous = null;
        for (String token : tokens) {
            if (previous != null && !previous.equals("(") && !previous.equals("~") && !previous.equals("!")
                    && !token.equals(")") && !token.equals(",") && !(token.equals("(") && isIdentifier(previous))) {
                text.append(' ');
            }
            text.append(token);
            previous = token;
        }
        return text.toString();
    }

    private static boolean isIdentifier(String token) {
        return !token.isEmpty() && (Character.isLetter(token.charAt(0)) || token.charAt(0) == '_');
    }

    // --- records ----------------------------------------------------------------------------------------

    private List<Record> records(List<String> missing) {
        for (RecordName name : spec.records()) {
            List<Cursor> matched = new ArrayList<>();
            Map<String, Cursor> candidates = switch (name.kind()) {
                case STRUCT -> structs;
                case UNION -> unions;
                case TYPEDEF -> typedefs;
            };
            for (Map.Entry<String, Cursor> entry : candidates.entrySet()) {
                if (BindingList.matches(name.pattern(), entry.getKey())) {
                    matched.add(entry.getValue());
                }
            }
            if (matched.isEmpty()) {
                missing.add(name.toString());
            }
            for (Cursor cursor : matched) {
                ClangType type = name.kind() == RecordKind.TYPEDEF
                        ? cursor.typedefUnderlyingType().canonical() : cursor.type().canonical();
                if (type.kind() != LibClang.TYPE_RECORD) {
                    if (BindingList.isPattern(name.pattern())) {
                        continue; // a pattern over typedefs picks the records among them
                    }
                    throw new BindgenException("group " + spec.name() + ": typedef " + cursor.spelling()
                            + " names " + type.spelling() + ", not a struct or union");
                }
                topLevel(type);
            }
        }
        while (!pendingRecords.isEmpty()) {
            pendingRecords.removeFirst().run();
        }
        Map<String, Record> byJavaName = new TreeMap<>();
        for (Record record : records.values()) {
            Record clash = byJavaName.put(record.javaName, record);
            if (clash != null || record.javaName.equals(JavaEmitter.groupClassName(spec.name()))) {
                throw new BindgenException("group " + spec.name() + ": " + record.cType + " and "
                        + (clash == null ? "the constants class" : clash.cType) + " would both be class " + record.javaName);
            }
        }
        return List.copyOf(byJavaName.values());
    }

    /** The top-level record of a named C type, created on first use; its members are read later. */
    private Record topLevel(ClangType canonical) {
        String cType = canonical.spelling();
        Record existing = records.get(cType);
        if (existing != null) {
            return existing;
        }
        Cursor declaration = canonical.declaration(unit);
        Record record = new Record();
        record.cType = cType;
        record.cName = declaration.spelling();
        record.javaName = JavaEmitter.className(record.cName);
        records.put(cType, record);
        pendingRecords.add(() -> fill(record, declaration, canonical, record, record, ""));
        return record;
    }

    /**
     * Reads a record's size, alignment and members.
     *
     * @param owner the record whose class holds this one's members: itself, or for an anonymous member
     *              the record it is flattened into
     * @param root  the top-level record (for nested types' C typeof expressions)
     * @param path  the member path from {@code root} to this record, empty for {@code root} itself
     */
    private void fill(Record record, Cursor declaration, ClangType canonical, Record owner, Record root, String path) {
        record.union = declaration.kind() == LibClang.CURSOR_UNION_DECL;
        record.size = canonical.sizeOf();
        record.align = canonical.alignOf();
        record.origin = shortOrigin(declaration);
        if (record.size < 0 || record.align <= 0) {
            throw new BindgenException("group " + spec.name() + ": " + describe(record) + " is incomplete or invalid"
                    + " (sizeof returned " + record.size + ")");
        }
        for (Cursor child : declaration.children()) {
            int kind = child.kind();
            if (kind == LibClang.CURSOR_FIELD_DECL) {
                Member member = field(record, child, owner, root, path);
                if (member != null) {
                    record.members.add(member);
                }
            } else if ((kind == LibClang.CURSOR_STRUCT_DECL || kind == LibClang.CURSOR_UNION_DECL)
                    && child.isAnonymousRecordDecl()) {
                Record anonymous = new Record();
                ClangType anonymousType = child.type().canonical();
                anonymous.cName = "";
                anonymous.cType = record.cType + " (anonymous member)";
                anonymous.enclosing = null;
                fill(anonymous, child, anonymousType, owner, root, path);
                record.members.add(new Anonymous(anonymous, anonymousOffset(record, canonical, anonymous, anonymousType)));
            }
        }
    }

    private Member field(Record record, Cursor cursor, Record owner, Record root, String path) {
        String name = cursor.spelling();
        ClangType type = cursor.type();
        ClangType canonical = type.canonical();
        long bits = cursor.offsetOfFieldBits();
        if (bits < 0) {
            throw new BindgenException("group " + spec.name() + ": clang has no offset for " + describe(record) + "." + name);
        }
        String declaration = declaration(type.spelling(), name);
        if (cursor.isBitField()) {
            int width = cursor.bitWidth();
            if (width == 0) {
                return null; // ':0' only aligns the next member, and clang's offsets already say where that is
            }
            ClangType integer = canonical.kind() == LibClang.TYPE_ENUM
                    ? canonical.declaration(unit).enumIntegerType().canonical() : canonical;
            return new BitField(name, bits, width, (int) canonical.sizeOf(), isSigned(integer.kind()), declaration);
        }
        if (bits % 8 != 0) {
            throw new BindgenException("group " + spec.name() + ": " + describe(record) + "." + name + " is not byte aligned");
        }
        String memberPath = path.isEmpty() ? name : path + "." + name;
        return new Field(name, bits / 8, type(owner, canonical, name, root, memberPath), declaration);
    }

    private Type type(Record owner, ClangType canonical, String fieldName, Record root, String memberPath) {
        Scalar scalar = scalarOf(canonical);
        if (scalar != null) {
            return scalar;
        }
        switch (canonical.kind()) {
            case LibClang.TYPE_RECORD -> {
                Cursor declaration = canonical.declaration(unit);
                if (!declaration.isAnonymous()) {
                    return new RecordRef(topLevel(canonical));
                }
                Record nested = new Record();
                nested.cName = fieldName;
                nested.javaName = JavaEmitter.nestedClassName(fieldName, owner);
                nested.enclosing = owner;
                nested.cType = "__typeof__(((" + root.cType + " *)0)->" + memberPath + ")";
                owner.nested.add(nested);
                fill(nested, declaration, canonical, nested, root, memberPath);
                return new RecordRef(nested);
            }
            case LibClang.TYPE_CONSTANT_ARRAY -> {
                long length = canonical.arraySize();
                Type element = type(owner, canonical.elementType().canonical(), fieldName, root, memberPath + "[0]");
                return new Array(element, length, length == 0);
            }
            case LibClang.TYPE_INCOMPLETE_ARRAY -> {
                Type element = type(owner, canonical.elementType().canonical(), fieldName, root, memberPath + "[0]");
                return new Array(element, 0, true);
            }
            default -> {
                long size = canonical.sizeOf();
                long align = canonical.alignOf();
                if (size <= 0 || align <= 0) {
                    throw new BindgenException("group " + spec.name() + ": " + describe(owner) + "." + fieldName
                            + " has type " + canonical.spelling() + ", which has no size");
                }
                return new Opaque(size, align);
            }
        }
    }

    /** Where an anonymous member starts in its owner: clang knows the offsets of the fields it holds. */
    private long anonymousOffset(Record owner, ClangType ownerType, Record anonymous, ClangType anonymousType) {
        String leaf = firstNamedField(anonymous);
        if (leaf == null) {
            throw new BindgenException("group " + spec.name() + ": an anonymous member of " + describe(owner)
                    + " has no named field");
        }
        long inOwner = ownerType.offsetOfBits(leaf);
        long inAnonymous = anonymousType.offsetOfBits(leaf);
        if (inOwner < 0 || inAnonymous < 0 || (inOwner - inAnonymous) % 8 != 0) {
            throw new BindgenException("group " + spec.name() + ": cannot place the anonymous member of "
                    + describe(owner) + " that holds " + leaf);
        }
        return (inOwner - inAnonymous) / 8;
    }

    private static String firstNamedField(Record record) {
        for (Member member : record.members) {
            switch (member) {
                case Field field -> {
                    return field.name();
                }
                case BitField bits when !bits.name().isEmpty() -> {
                    return bits.name();
                }
                case Anonymous anonymous -> {
                    String inner = firstNamedField(anonymous.record());
                    if (inner != null) {
                        return inner;
                    }
                }
                default -> { }
            }
        }
        return null;
    }

    // --- functions --------------------------------------------------------------------------------------

    private List<Function> functions(List<String> missing) {
        Map<String, List<List<Scalar>>> variants = new TreeMap<>();
        for (BindingList.Variant variant : spec.variants()) {
            if (!spec.functions().contains(variant.function())) {
                throw new BindgenException("group " + spec.name() + ": 'variadic " + variant.function()
                        + "' names a function that is not listed with 'function'");
            }
            variants.computeIfAbsent(variant.function(), k -> new ArrayList<>())
                    .add(variant.types().stream().map(HeaderReader::variadicScalar).toList());
        }
        List<Function> bound = new ArrayList<>();
        for (String name : new TreeSet<>(spec.functions())) {
            Cursor cursor = functions.get(name);
            if (cursor == null) {
                missing.add("function " + name);
                continue;
            }
            ClangType type = cursor.type();
            if (type.kind() != LibClang.TYPE_FUNCTION_PROTO) {
                throw new BindgenException("group " + spec.name() + ": function " + name + " has no prototype");
            }
            ClangType resultType = type.resultType().canonical();
            Scalar result = resultType.kind() == LibClang.TYPE_VOID ? null : functionScalar(name, resultType);
            List<Scalar> parameters = new ArrayList<>();
            List<String> parameterText = new ArrayList<>();
            List<Cursor> parameterCursors = cursor.children().stream()
                    .filter(c -> c.kind() == LibClang.CURSOR_PARM_DECL).toList();
            List<ClangType> argumentTypes = type.argumentTypes();
            for (int i = 0; i < argumentTypes.size(); i++) {
                ClangType argument = argumentTypes.get(i);
                parameters.add(functionScalar(name, argument.canonical()));
                String parameterName = i < parameterCursors.size() ? parameterCursors.get(i).spelling() : "";
                parameterText.add(declaration(argument.spelling(), parameterName));
            }
            if (type.isVariadic()) {
                parameterText.add("...");
            }
            List<List<Scalar>> extra = variants.getOrDefault(name, List.of());
            if (!extra.isEmpty() && !type.isVariadic()) {
                throw new BindgenException("group " + spec.name() + ": 'variadic " + name + "' but " + name + " is not variadic");
            }
            String prototype = declaration(type.resultType().spelling(), name) + "(" + String.join(", ", parameterText) + ")";
            bound.add(new Function(name, prototype, result, List.copyOf(parameters), type.isVariadic(), List.copyOf(extra)));
        }
        return bound;
    }

    private Scalar functionScalar(String function, ClangType canonical) {
        Scalar scalar = scalarOf(canonical);
        if (scalar == null) {
            throw new BindgenException("group " + spec.name() + ": function " + function + " passes "
                    + canonical.spelling() + " by value, which the generator does not support");
        }
        return scalar;
    }

    private static Scalar variadicScalar(String type) {
        return switch (type) {
            case "int" -> Scalar.INT;
            case "long" -> Scalar.LONG;
            case "pointer" -> Scalar.POINTER;
            case "double" -> Scalar.DOUBLE;
            default -> throw new IllegalArgumentException(type);
        };
    }

    // --- types ------------------------------------------------------------------------------------------

    /** The scalar that carries a canonical C type, or null if it is not a scalar. */
    private Scalar scalarOf(ClangType canonical) {
        return switch (canonical.kind()) {
            case LibClang.TYPE_BOOL -> Scalar.BOOL;
            case LibClang.TYPE_CHAR_U, LibClang.TYPE_UCHAR, LibClang.TYPE_CHAR_S, LibClang.TYPE_SCHAR -> Scalar.BYTE;
            case LibClang.TYPE_USHORT, LibClang.TYPE_SHORT -> Scalar.SHORT;
            case LibClang.TYPE_UINT, LibClang.TYPE_INT -> Scalar.INT;
            case LibClang.TYPE_ULONG, LibClang.TYPE_LONG, LibClang.TYPE_ULONGLONG, LibClang.TYPE_LONGLONG -> Scalar.LONG;
            case LibClang.TYPE_FLOAT -> Scalar.FLOAT;
            case LibClang.TYPE_DOUBLE -> Scalar.DOUBLE;
            case LibClang.TYPE_POINTER -> Scalar.POINTER;
            case LibClang.TYPE_ENUM -> scalarOf(canonical.declaration(unit).enumIntegerType().canonical());
            default -> null;
        };
    }

    private static boolean isSigned(int kind) {
        return switch (kind) {
            case LibClang.TYPE_CHAR_S, LibClang.TYPE_SCHAR, LibClang.TYPE_SHORT, LibClang.TYPE_INT, LibClang.TYPE_LONG,
                 LibClang.TYPE_LONGLONG, LibClang.TYPE_INT128 -> true;
            default -> false;
        };
    }

    /**
     * A C declaration from a type spelling and a name, for javadoc: {@code __u8 padding1[6]},
     * {@code void (*sa_restorer)(void)}. Locations of anonymous types are dropped (they hold absolute paths).
     */
    static String declaration(String typeSpelling, String name) {
        String type = typeSpelling
                .replaceAll("(struct|union|enum) \\((?:unnamed|anonymous)[^)]*\\)", "$1 {...}")
                .replaceAll("(\\w+)::\\{\\.\\.\\.\\}", "{...}")
                .replaceAll("\\((?:unnamed|anonymous) (struct|union|enum) at [^)]*\\)", "$1 {...}");
        if (name.isEmpty()) {
            return type;
        }
        int pointer = type.indexOf("(*");
        if (pointer >= 0) {
            return type.substring(0, pointer + 2) + name + type.substring(pointer + 2);
        }
        int bracket = type.indexOf('[');
        if (bracket >= 0) {
            return type.substring(0, bracket).stripTrailing() + " " + name + type.substring(bracket);
        }
        return type.endsWith("*") ? type + name : type + " " + name;
    }

    private static String describe(Record record) {
        return record.cType;
    }

    /** "linux/kvm.h" rather than the absolute path, so nothing machine-specific reaches the output. */
    private static String shortOrigin(Cursor cursor) {
        String file = cursor.fileName();
        int include = file.lastIndexOf("/include/");
        String relative = include >= 0 ? file.substring(include + "/include/".length()) : file;
        return relative.startsWith("x86_64-linux-gnu/") ? relative.substring("x86_64-linux-gnu/".length()) : relative;
    }
}
