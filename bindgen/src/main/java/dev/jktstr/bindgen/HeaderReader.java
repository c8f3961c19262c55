package dev.jktstr.bindgen;

import dev.jktstr.bindgen.Model.Constant;
import dev.jktstr.bindgen.Model.Function;
import dev.jktstr.bindgen.Model.Record;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one group of the binding list through libclang into a {@link Model.Group}: parses its headers,
 * has {@link ConstantReader}, {@link RecordReader} and {@link FunctionReader} find every listed name,
 * and fails with the names that are not declared.
 */
final class HeaderReader {

    private final Clang clang;
    private final BindingList.Group spec;
    private final List<String> args;

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
        TranslationUnit unit = clang.parse(sourceName("headers"), includes(), args,
                LibClang.PARSE_DETAILED_PREPROCESSING_RECORD | LibClang.PARSE_SKIP_FUNCTION_BODIES);
        checkErrors(unit, "its headers do not compile");
        DeclarationIndex index = new DeclarationIndex(unit);
        List<String> missing = new ArrayList<>();
        List<Constant> constants = new ConstantReader(spec, index, unit, this::parseAfterHeaders).read(missing);
        List<Record> resolved = new RecordReader(spec, index, unit).read(missing);
        List<Function> bound = new FunctionReader(spec, index, unit).read(missing);
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

    /** Parses {@code declarations} after the group's headers (for the macros' variables). */
    private TranslationUnit parseAfterHeaders(String declarations) {
        return clang.parse(sourceName("macros"), includes() + declarations, args, LibClang.PARSE_SKIP_FUNCTION_BODIES);
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
}
