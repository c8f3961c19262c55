package dev.jktstr.bindgen;

import dev.jktstr.bindgen.Model.Record;
import java.util.Set;

/** How C names become Java names in the generated code: classes, nested classes, members. */
final class JavaNames {

    private static final Set<String> JAVA_KEYWORDS = Set.of(
            "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue",
            "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
            "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
            "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this",
            "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null", "_");
    /** Simple names the generated code uses unqualified: a record class must not shadow them. */
    private static final Set<String> RESERVED_CLASS_NAMES = Set.of(
            "Byte", "Short", "Integer", "Long", "Object", "String", "Objects", "MemorySegment", "MemoryLayout",
            "ValueLayout", "AddressLayout", "SequenceLayout", "StructLayout", "UnionLayout", "PathElement",
            "FunctionDescriptor", "Linker", "SymbolLookup", "MethodHandle");

    private JavaNames() {}

    /** {@code kvm} → {@code KvmH}: the class holding a group's constants and function handles. */
    static String groupClassName(String group) {
        return className(group) + "H";
    }

    /** A record's Java class name: its C tag or typedef name in CamelCase ({@code kvm_run} → {@code KvmRun}). */
    static String className(String cName) {
        StringBuilder name = new StringBuilder();
        for (String part : cName.split("_")) {
            if (!part.isEmpty()) {
                name.append(Character.toUpperCase(part.charAt(0))).append(part, 1, part.length());
            }
        }
        if (name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))) {
            name.insert(0, '_');
        }
        String result = name.toString();
        return RESERVED_CLASS_NAMES.contains(result) ? result + "_" : result;
    }

    /** The class of a named field's anonymous type: the field name in CamelCase, unique in its class. */
    static String nestedClassName(String fieldName, Record owner) {
        String name = className(fieldName);
        while (clashes(name, owner)) {
            name = name + "_";
        }
        return name;
    }

    private static boolean clashes(String name, Record owner) {
        for (Record r = owner; r != null; r = r.enclosing) {
            if (name.equals(r.javaName)) {
                return true;
            }
        }
        return owner.nested.stream().anyMatch(n -> n.javaName.equals(name));
    }

    /** A C member name as a Java identifier: unchanged unless it is a Java keyword, then with a trailing _. */
    static String identifier(String cName) {
        return JAVA_KEYWORDS.contains(cName) ? cName + "_" : cName;
    }
}
