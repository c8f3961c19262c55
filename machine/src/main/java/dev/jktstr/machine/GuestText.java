package dev.jktstr.machine;

import java.nio.charset.StandardCharsets;

/**
 * The one sanitizer for text a guest controls (kernel release, agent errors, process names, scheduler output,
 * console lines) before a person's terminal or a log file sees it. A guest is hostile: raw, its text could move the
 * cursor, rewrite earlier lines, set the window title or reorder what is shown (escape sequences, C1 controls such
 * as CSI U+009B and OSC U+009D, bidi overrides), forge log lines (newlines) or flood the output (length).
 *
 * <p>Every character that a terminal or a bidi renderer treats as a control comes out as a visible escape:
 * <code>&#92;xHH</code> for C0, DEL and C1, <code>&#92;uHHHH</code> for bidi controls, line/paragraph separators and unpaired
 * surrogates; {@code \n}, {@code \t} and {@code \r} as those two characters. In {@link #lines} newline and tab
 * stay, and a CR right before a newline (a serial console's CRLF) is dropped. Text longer than the cap ends in
 * {@code "… (N more bytes)"}, N counting the UTF-8 bytes left out. A backslash is kept as is: a guest can make
 * its text look like an escape, never act like one.
 *
 * <p>Lives in {@code machine} because that is the lowest module every printer depends on (virtio, guest, qemu,
 * kvm, memory-introspection, scenario-api, cli), and the console tail here is its first user.
 */
public final class GuestText {

    /** Cap of {@link #line(String)} and {@link #lines(String)}, in characters of output. */
    public static final int DEFAULT_MAX_CHARS = 4096;

    private GuestText() {
    }

    /** One line of guest text: every control, newline and tab included, escaped; at most {@link #DEFAULT_MAX_CHARS}. */
    public static String line(String guest) {
        return clean(guest, false, DEFAULT_MAX_CHARS);
    }

    /** One line of guest text, at most {@code maxChars} characters before the "… (N more bytes)" marker. */
    public static String line(String guest, int maxChars) {
        return clean(guest, false, maxChars);
    }

    /** Guest text of several lines: newline and tab kept, every other control escaped; at most {@link #DEFAULT_MAX_CHARS}. */
    public static String lines(String guest) {
        return clean(guest, true, DEFAULT_MAX_CHARS);
    }

    /** Guest text of several lines, at most {@code maxChars} characters before the "… (N more bytes)" marker. */
    public static String lines(String guest, int maxChars) {
        return clean(guest, true, maxChars);
    }

    /** Guest bytes (UTF-8, malformed sequences become U+FFFD) as one line; see {@link #line(String, int)}. */
    public static String line(byte[] utf8, int maxChars) {
        return clean(new String(utf8, StandardCharsets.UTF_8), false, maxChars);
    }

    /** Guest bytes (UTF-8, malformed sequences become U+FFFD) as several lines; see {@link #lines(String, int)}. */
    public static String lines(byte[] utf8, int maxChars) {
        return clean(new String(utf8, StandardCharsets.UTF_8), true, maxChars);
    }

    /**
     * Whether a terminal, a log viewer or a bidi renderer may act on {@code codePoint} rather than show it:
     * C0 (newline and tab only when {@code multiline}), DEL, C1, the bidi controls U+061C, U+200E/F, U+202A–U+202E,
     * U+2066–U+2069, the separators U+2028/U+2029 and unpaired surrogates.
     */
    public static boolean isControl(int codePoint, boolean multiline) {
        if (codePoint < 0x20) {
            return !(multiline && (codePoint == '\n' || codePoint == '\t'));
        }
        return codePoint >= 0x7f && codePoint <= 0x9f
                || codePoint == 0x061c
                || codePoint == 0x200e || codePoint == 0x200f
                || codePoint >= 0x2028 && codePoint <= 0x202e
                || codePoint >= 0x2066 && codePoint <= 0x2069
                || codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE;
    }

    private static String clean(String guest, boolean multiline, int maxChars) {
        if (maxChars < 0) {
            throw new IllegalArgumentException("maxChars must not be negative: " + maxChars);
        }
        if (guest == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(guest.length(), maxChars) + 16);
        int i = 0;
        while (i < guest.length()) {
            int cp = guest.codePointAt(i);
            int width = Character.charCount(cp);
            String piece;
            if (multiline && cp == '\r' && i + 1 < guest.length() && guest.charAt(i + 1) == '\n') {
                piece = "";
            } else if (!isControl(cp, multiline)) {
                piece = guest.substring(i, i + width);
            } else {
                piece = escape(cp);
            }
            if (out.length() + piece.length() > maxChars) {
                return out.append("… (").append(utf8Length(guest, i)).append(" more bytes)").toString();
            }
            out.append(piece);
            i += width;
        }
        return out.toString();
    }

    private static String escape(int cp) {
        return switch (cp) {
            case '\n' -> "\\n";
            case '\t' -> "\\t";
            case '\r' -> "\\r";
            default -> cp <= 0xff ? String.format("\\x%02x", cp) : String.format("\\u%04x", cp);
        };
    }

    /** UTF-8 length of {@code s} from {@code from} on, as the guest sent it (an unpaired surrogate counts as 3). */
    private static long utf8Length(String s, int from) {
        long n = 0;
        for (int i = from; i < s.length(); ) {
            int cp = s.codePointAt(i);
            n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            i += Character.charCount(cp);
        }
        return n;
    }
}
