package dev.jktstr.bindgen;

import dev.jktstr.bindgen.Model.Function;
import dev.jktstr.bindgen.Model.Scalar;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads a group's listed functions: their scalar parameters and result, their prototype for the
 * javadoc, and the extra argument lists of the {@code variadic} lines.
 */
final class FunctionReader {

    private final BindingList.Group spec;
    private final DeclarationIndex index;
    private final TranslationUnit unit;

    FunctionReader(BindingList.Group spec, DeclarationIndex index, TranslationUnit unit) {
        this.spec = spec;
        this.index = index;
        this.unit = unit;
    }

    /** The listed functions; one the headers do not declare is added to {@code missing}. */
    List<Function> read(List<String> missing) {
        Map<String, List<List<Scalar>>> variants = new TreeMap<>();
        for (BindingList.Variant variant : spec.variants()) {
            if (!spec.functions().contains(variant.function())) {
                throw new BindgenException("group " + spec.name() + ": 'variadic " + variant.function()
                        + "' names a function that is not listed with 'function'");
            }
            variants.computeIfAbsent(variant.function(), k -> new ArrayList<>())
                    .add(variant.types().stream().map(FunctionReader::variadicScalar).toList());
        }
        List<Function> bound = new ArrayList<>();
        for (String name : new TreeSet<>(spec.functions())) {
            Cursor cursor = index.functions.get(name);
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
                parameterText.add(CTypes.declaration(argument.spelling(), parameterName));
            }
            if (type.isVariadic()) {
                parameterText.add("...");
            }
            List<List<Scalar>> extra = variants.getOrDefault(name, List.of());
            if (!extra.isEmpty() && !type.isVariadic()) {
                throw new BindgenException("group " + spec.name() + ": 'variadic " + name + "' but " + name + " is not variadic");
            }
            String prototype = CTypes.declaration(type.resultType().spelling(), name) + "(" + String.join(", ", parameterText) + ")";
            bound.add(new Function(name, prototype, result, List.copyOf(parameters), type.isVariadic(), List.copyOf(extra)));
        }
        return bound;
    }

    private Scalar functionScalar(String function, ClangType canonical) {
        Scalar scalar = CTypes.scalarOf(canonical, unit);
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
}
