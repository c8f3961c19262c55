package dev.jktstr.bindgen;

import static dev.jktstr.bindgen.JavaSource.code;
import static dev.jktstr.bindgen.JavaSource.javadoc;

import dev.jktstr.bindgen.Model.Constant;
import dev.jktstr.bindgen.Model.Function;
import dev.jktstr.bindgen.Model.Scalar;
import java.util.List;

/**
 * Writes a group's {@code <Group>H} class: its constants, and the function handles {@link DowncallEmitter}
 * writes into it.
 */
final class GroupClassEmitter {

    private final Model.Group group;
    private final LayoutManifest manifest;
    private final DowncallEmitter downcalls;

    GroupClassEmitter(Model.Group group, LayoutManifest manifest) {
        this.group = group;
        this.manifest = manifest;
        this.downcalls = new DowncallEmitter(group);
    }

    /** The class's source, without package and imports. */
    String emit(String className) {
        JavaSource s = new JavaSource();
        s.line("/**");
        s.line(" * Constants" + (group.functions().isEmpty() ? "" : " and functions") + " of "
                + javadoc(String.join(", ", group.headers())) + ".");
        s.line(" *");
        s.line(" * <p>Constants keep their C names. A constant is a {@code long} when it is an ioctl request number");
        s.line(" * ({@code _IO}, {@code _IOR}, {@code _IOW}, {@code _IOWR}), when its C type is 64 bits wide, or when");
        s.line(" * its value does not fit an {@code int}; otherwise an {@code int}. Values keep their C bit pattern.");
        if (!group.functions().isEmpty()) {
            s.line(" *");
            s.line(" * <p>Function handles are named {@code <function>$mh}; a variadic function has one more handle per");
            s.line(" * extra argument list, {@code <function>$<types>$mh}. Every handle takes first a segment of");
            s.line(" * {@link Linker.Option#captureStateLayout()} that receives the call's {@code errno}.");
            if (!group.libraries().isEmpty()) {
                s.line(" *");
                s.line(" * <p>The functions come from " + javadoc(String.join(" or ", group.libraries()))
                        + " (the first that loads; {@code -D" + DowncallEmitter.libraryProperty(group) + "=PATH} names another),");
                s.line(" * loaded when this class initializes. Without it the class still initializes: {@link #LIBRARY$ERROR}");
                s.line(" * says why, and every handle throws {@link UnsatisfiedLinkError} when invoked.");
            }
        }
        s.line(" */");
        if (!group.functions().isEmpty()) {
            s.line("@SuppressWarnings(\"restricted\") // binding native functions is what this class is for");
        }
        s.line("public final class " + className + " {");
        s.line();
        s.line("    private " + className + "() {}");
        for (Constant constant : group.constants()) {
            s.line();
            s.line("    /** " + code(constant.definition()) + " */");
            s.line("    public static final " + (constant.isLong() ? "long" : "int") + " " + constant.name() + " = "
                    + literal(constant) + ";");
            manifest.constant(constant.name());
        }
        if (!group.functions().isEmpty()) {
            s.line();
            s.line("    private static final Linker $LINKER = Linker.nativeLinker();");
            if (group.libraries().isEmpty()) {
                s.line("    private static final SymbolLookup $LIBC = $LINKER.defaultLookup();");
            }
            s.line("    private static final Linker.Option $CAPTURE_ERRNO = Linker.Option.captureCallState(\"errno\");");
            if (!group.libraries().isEmpty()) {
                downcalls.libraryLoader(s);
            }
            for (Function function : group.functions()) {
                downcalls.handle(s, function, null);
                for (List<Scalar> variant : function.variants()) {
                    downcalls.handle(s, function, variant);
                }
            }
        }
        s.line("}");
        return s.toString();
    }

    private static String literal(Constant constant) {
        long value = constant.value();
        if (constant.isLong()) {
            return constant.hex() && value >= 0 ? "0x" + Long.toHexString(value) + "L" : value + "L";
        }
        return constant.hex() && value >= 0 ? "0x" + Integer.toHexString((int) value) : Integer.toString((int) value);
    }
}
