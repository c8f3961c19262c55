package dev.jktstr.btf;

/** Writes a value as C-like text: designated initializers, one member per line, four spaces per level. */
final class TextSink implements ValueSink {
    private final StringBuilder out;
    private int level;

    TextSink(StringBuilder out) {
        this.out = out;
    }

    @Override
    public boolean flattensAnonymousMembers() {
        return false;
    }

    @Override
    public void integer(String decimal) {
        out.append(decimal);
    }

    @Override
    public void floating(String decimal) {
        out.append(decimal);
    }

    @Override
    public void bool(boolean value) {
        out.append(value);
    }

    @Override
    public void symbol(String text) {
        out.append(text);
    }

    @Override
    public void enumerator(String name, String decimal) {
        out.append(name != null ? name : decimal);
    }

    /** As a C string literal: quotes and backslashes escaped, bytes outside printable ASCII as {@code \xNN}. */
    @Override
    public void string(String chars) {
        out.append('"');
        for (int i = 0; i < chars.length(); i++) {
            char c = chars.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else {
                out.append(String.format("\\x%02x", (int) c));
            }
        }
        out.append('"');
    }

    @Override
    public void voidValue() {
        out.append("void");
    }

    @Override
    public void opaque(Btf btf, int type) {
        out.append('<').append(btf.kind(type)).append(" '").append(btf.name(type)).append("'>");
    }

    @Override
    public void beginStruct() {
        out.append("{\n");
        level++;
    }

    @Override
    public void member(String name) {
        indent();
        if (!name.isEmpty()) {
            out.append('.').append(name).append(" = ");
        }
    }

    @Override
    public void endMember() {
        out.append(",\n");
    }

    @Override
    public void endStruct() {
        level--;
        indent();
        out.append('}');
    }

    @Override
    public void beginArray() {
        out.append('[');
    }

    @Override
    public void element(long index) {
        if (index > 0) {
            out.append(", ");
        }
    }

    @Override
    public void endArray() {
        out.append(']');
    }

    private void indent() {
        for (int i = 0; i < level; i++) {
            out.append("    ");
        }
    }
}
