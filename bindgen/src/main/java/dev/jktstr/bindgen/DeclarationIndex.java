package dev.jktstr.bindgen;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The top-level declarations and object-like macros of a parsed group, by name (sorted, so that
 * pattern matches come out in order); the first declaration of a name wins.
 */
final class DeclarationIndex {

    final Map<String, Cursor> macros = new TreeMap<>();
    final Map<String, Cursor> enumConstants = new TreeMap<>();
    /** The enum declaration of each enum constant. */
    final Map<String, Cursor> enumOfConstant = new HashMap<>();
    final Map<String, Cursor> structs = new TreeMap<>();
    final Map<String, Cursor> unions = new TreeMap<>();
    final Map<String, Cursor> typedefs = new TreeMap<>();
    final Map<String, Cursor> functions = new TreeMap<>();

    DeclarationIndex(TranslationUnit unit) {
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
}
