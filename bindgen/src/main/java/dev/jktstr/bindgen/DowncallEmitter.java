package dev.jktstr.bindgen;

import static dev.jktstr.bindgen.JavaSource.code;

import dev.jktstr.bindgen.Model.Function;
import dev.jktstr.bindgen.Model.Scalar;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the function handles of a {@code <Group>H} class: downcalls that capture {@code errno}, one
 * more per variadic argument list, resolved in libc or, for a {@code library} group, in its library.
 */
final class DowncallEmitter {

    private final Model.Group group;

    DowncallEmitter(Model.Group group) {
        this.group = group;
    }

    /** The handle of {@code function}, or with {@code variant} its handle for those variadic arguments. */
    void handle(JavaSource s, Function function, List<Scalar> variant) {
        List<Scalar> parameters = new ArrayList<>(function.parameters());
        String name = function.name();
        if (variant != null) {
            parameters.addAll(variant);
            StringBuilder suffix = new StringBuilder();
            for (Scalar extra : variant) {
                suffix.append('$').append(extra == Scalar.POINTER ? "pointer" : extra.javaType);
            }
            name += suffix;
        }
        List<String> layouts = new ArrayList<>();
        if (function.result() != null) {
            layouts.add("ValueLayout." + function.result().layoutConstant);
        }
        for (Scalar parameter : parameters) {
            layouts.add("ValueLayout." + parameter.layoutConstant);
        }
        String descriptor = (function.result() == null ? "FunctionDescriptor.ofVoid(" : "FunctionDescriptor.of(")
                + String.join(", ", layouts) + ")";
        String options = "$CAPTURE_ERRNO";
        if (function.variadic()) {
            options += ", Linker.Option.firstVariadicArg(" + function.parameters().size() + ")";
        }
        s.line();
        String called = !function.variadic() ? ""
                : variant == null ? ", called with no variadic argument"
                : ", called with variadic " + variantText(variant);
        s.line("    /** " + code(function.prototype()) + called + ". */");
        if (group.libraries().isEmpty()) {
            s.line("    public static final MethodHandle " + name + "$mh = $LINKER.downcallHandle($LIBC.findOrThrow(\""
                    + function.name() + "\"),");
        } else {
            s.line("    public static final MethodHandle " + name + "$mh = $downcall(\"" + function.name() + "\",");
        }
        s.line("            " + descriptor + ",");
        s.line("            " + options + ");");
    }

    /** The system property that names the library of a {@code library} group instead of its list. */
    static String libraryProperty(Model.Group group) {
        return "jktstr.library." + group.name();
    }

    /**
     * The library a {@code library} group's functions resolve in, loaded without failing the class
     * initialization, and {@code $downcall}: the bound handle, or one of the same type that throws.
     */
    void libraryLoader(JavaSource s) {
        StringBuilder candidates = new StringBuilder();
        for (String library : group.libraries()) {
            candidates.append(candidates.isEmpty() ? "" : ", ").append('"').append(library).append('"');
        }
        s.line();
        s.line("    /** The library the functions resolve in, as it was named when it loaded; null when none loaded. */");
        s.line("    public static final String LIBRARY$NAME;");
        s.line();
        s.line("    /** Why no library loaded (each name tried and the loader's message), or null when one did. */");
        s.line("    public static final String LIBRARY$ERROR;");
        s.line();
        s.line("    private static final SymbolLookup $LIBRARY;");
        s.line();
        s.line("    static {");
        s.line("        String override = System.getProperty(\"" + libraryProperty(group) + "\", \"\");");
        s.line("        String[] candidates = override.isEmpty() ? new String[] {" + candidates + "} : new String[] {override};");
        s.line("        SymbolLookup lookup = null;");
        s.line("        String name = null;");
        s.line("        StringBuilder errors = new StringBuilder();");
        s.line("        for (String candidate : candidates) {");
        s.line("            try {");
        s.line("                lookup = SymbolLookup.libraryLookup(candidate, java.lang.foreign.Arena.global());");
        s.line("                name = candidate;");
        s.line("                break;");
        s.line("            } catch (IllegalArgumentException e) {");
        s.line("                errors.append(errors.isEmpty() ? \"\" : \"; \").append(candidate).append(\": \").append(e.getMessage());");
        s.line("            }");
        s.line("        }");
        s.line("        $LIBRARY = lookup;");
        s.line("        LIBRARY$NAME = name;");
        s.line("        LIBRARY$ERROR = lookup == null ? errors.toString() : null;");
        s.line("    }");
        s.line();
        s.line("    private static MethodHandle $downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {");
        s.line("        java.util.Optional<MemorySegment> symbol = $LIBRARY == null ? java.util.Optional.empty() : $LIBRARY.find(name);");
        s.line("        if (symbol.isPresent()) {");
        s.line("            return $LINKER.downcallHandle(symbol.get(), descriptor, options);");
        s.line("        }");
        s.line("        UnsatisfiedLinkError error = new UnsatisfiedLinkError($LIBRARY == null");
        s.line("                ? name + \": no library loaded (\" + LIBRARY$ERROR + \")\" : name + \" is not in \" + LIBRARY$NAME);");
        s.line("        java.lang.invoke.MethodType type = $LINKER.downcallHandle(descriptor, options).type().dropParameterTypes(0, 1);");
        s.line("        MethodHandle thrower = java.lang.invoke.MethodHandles.throwException(type.returnType(), UnsatisfiedLinkError.class)");
        s.line("                .bindTo(error);");
        s.line("        return java.lang.invoke.MethodHandles.dropArguments(thrower, 0, type.parameterList());");
        s.line("    }");
    }

    private static String variantText(List<Scalar> variant) {
        List<String> names = new ArrayList<>();
        for (Scalar scalar : variant) {
            names.add(scalar == Scalar.POINTER ? "pointer" : scalar.javaType);
        }
        return "(" + String.join(", ", names) + ")";
    }
}
