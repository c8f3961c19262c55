package dev.jktstr.bindgen;

import dev.jktstr.bindgen.Model.Scalar;

/** What the readers need to know of C types: the scalar that carries one, signedness, declaration text. */
final class CTypes {

    private CTypes() {}

    /** The scalar that carries a canonical C type, or null if it is not a scalar. */
    static Scalar scalarOf(ClangType canonical, TranslationUnit unit) {
        return switch (canonical.kind()) {
            case LibClang.TYPE_BOOL -> Scalar.BOOL;
            case LibClang.TYPE_CHAR_U, LibClang.TYPE_UCHAR, LibClang.TYPE_CHAR_S, LibClang.TYPE_SCHAR -> Scalar.BYTE;
            case LibClang.TYPE_USHORT, LibClang.TYPE_SHORT -> Scalar.SHORT;
            case LibClang.TYPE_UINT, LibClang.TYPE_INT -> Scalar.INT;
            case LibClang.TYPE_ULONG, LibClang.TYPE_LONG, LibClang.TYPE_ULONGLONG, LibClang.TYPE_LONGLONG -> Scalar.LONG;
            case LibClang.TYPE_FLOAT -> Scalar.FLOAT;
            case LibClang.TYPE_DOUBLE -> Scalar.DOUBLE;
            case LibClang.TYPE_POINTER -> Scalar.POINTER;
            case LibClang.TYPE_ENUM -> scalarOf(canonical.declaration(unit).enumIntegerType().canonical(), unit);
            default -> null;
        };
    }

    static boolean isSigned(int kind) {
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
}
