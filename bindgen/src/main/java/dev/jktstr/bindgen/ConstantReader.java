package dev.jktstr.bindgen;

import dev.jktstr.bindgen.Model.Constant;
import dev.jktstr.bindgen.Model.Scalar;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads a group's listed constants: macros evaluated the jextract way, enum values from their
 * declarations, each typed {@code int} or {@code long} by the README's rule.
 */
final class ConstantReader {

    private static final String MACRO_VARIABLE_PREFIX = "jktstr_macro_";
    private static final Set<String> IOCTL_MACROS = Set.of("_IO", "_IOR", "_IOW", "_IOWR");

    private final BindingList.Group spec;
    private final DeclarationIndex index;
    private final TranslationUnit unit;
    /** Parses C declarations after the group's headers, in a second translation unit. */
    private final Function<String, TranslationUnit> macroParser;

    ConstantReader(BindingList.Group spec, DeclarationIndex index, TranslationUnit unit,
                   Function<String, TranslationUnit> macroParser) {
        this.spec = spec;
        this.index = index;
        this.unit = unit;
        this.macroParser = macroParser;
    }

    /** The listed constants; a name or pattern that matches nothing is added to {@code missing}. */
    List<Constant> read(List<String> missing) {
        Set<String> wanted = new TreeSet<>();
        for (String pattern : spec.constants()) {
            List<String> matched = new ArrayList<>();
            for (String name : index.macros.keySet()) {
                if (BindingList.matches(pattern, name)) {
                    matched.add(name);
                }
            }
            for (String name : index.enumConstants.keySet()) {
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

        Map<String, Constant> macroValues = evaluateMacros(wanted.stream().filter(index.macros::containsKey).toList());
        List<Constant> constants = new ArrayList<>();
        List<String> notIntegers = new ArrayList<>();
        for (String name : wanted) {
            Constant constant = macroValues.get(name);
            if (constant == null && index.enumConstants.containsKey(name)) {
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
        StringBuilder source = new StringBuilder();
        for (String name : names) {
            source.append("__auto_type ").append(MACRO_VARIABLE_PREFIX).append(name).append(" = (").append(name).append(");\n");
        }
        TranslationUnit evaluation = macroParser.apply(source.toString());
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
            Scalar scalar = CTypes.scalarOf(type, unit);
            if (scalar == null || scalar == Scalar.POINTER || scalar == Scalar.FLOAT || scalar == Scalar.DOUBLE) {
                continue;
            }
            boolean[] unsigned = new boolean[1];
            OptionalLong value = cursor.evaluateInteger(unsigned);
            if (value.isEmpty()) {
                continue;
            }
            List<String> tokens = index.macros.get(name).tokens();
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
        Cursor constant = index.enumConstants.get(name);
        Cursor enumDecl = index.enumOfConstant.get(name);
        ClangType integer = enumDecl.enumIntegerType().canonical();
        boolean unsigned = !CTypes.isSigned(integer.kind());
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
}
