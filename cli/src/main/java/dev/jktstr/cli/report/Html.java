package dev.jktstr.cli.report;

import dev.jktstr.machine.GuestText;

/**
 * Escaping for the report. Everything a result file holds may come from the guest (kmsg, comm names, a scheduler's
 * output, cgroup names): control characters and terminal escapes are replaced ({@link GuestText}) and the text is
 * bounded, then escaped for HTML text and attribute values alike.
 */
final class Html {
    /** Longest text shown for one field (a scheduler's output is bounded before it reaches a result anyway). */
    static final int MAX_CHARS = 64 << 10;

    private Html() {
    }

    static String text(Object o) {
        if (o == null) {
            return "";
        }
        String s = GuestText.lines(String.valueOf(o), MAX_CHARS);
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * JSON text made safe inside {@code <script type="application/json">}: no {@code <}, {@code >} or {@code &}
     * (they only occur inside JSON strings, where the escape means the same), so no {@code </script>} can end it.
     */
    static String scriptJson(String json) {
        return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
    }

    /** A number for a table: integers without ".0", others to 4 significant digits; "" when absent, "NaN" as such. */
    static String number(Double d) {
        if (d == null) {
            return "";
        }
        if (d.isNaN() || d.isInfinite()) {
            return String.valueOf(d);
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return String.valueOf(d.longValue());
        }
        return String.format(java.util.Locale.ROOT, "%.4g", d);
    }
}
