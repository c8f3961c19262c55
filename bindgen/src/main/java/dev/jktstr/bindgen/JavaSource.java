package dev.jktstr.bindgen;

/** Lines of generated Java source, and C text made safe for its javadoc. */
final class JavaSource {

    private final StringBuilder text = new StringBuilder();

    void line(String line) {
        text.append(line).append('\n');
    }

    void line() {
        text.append('\n');
    }

    @Override
    public String toString() {
        return text.toString();
    }

    /** C text as javadoc code. */
    static String code(String text) {
        return "<code>" + javadoc(text) + "</code>";
    }

    /** Text safe inside a javadoc comment. */
    static String javadoc(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")
                .replace("*/", "*&#47;").replace("\\", "&#92;");
    }
}
