package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What a hostile guest can put in a string, and what reaches a terminal or a log of it. */
class GuestTextTest {

    /** Everything a terminal or a bidi renderer acts on: every C0, DEL, every C1, every bidi control, separators. */
    static String everyControl() {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < 0x20; c++) {
            sb.append((char) c);
        }
        for (int c = 0x7f; c <= 0x9f; c++) {
            sb.append((char) c);
        }
        sb.append("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");
        sb.append('\ud800'); // unpaired surrogate
        return sb.toString();
    }

    @Test
    void oneLineKeepsNoControlAtAll() {
        String out = GuestText.line("a" + everyControl() + "z");
        assertThat(out.codePoints().filter(c -> GuestText.isControl(c, false))).isEmpty();
        assertThat(out).startsWith("a\\x00\\x01").contains("\\n", "\\t", "\\r", "\\x1b", "\\x7f", "\\x9b", "\\x9d",
                "\\u202e", "\\u2066", "\\u200f", "\\u061c", "\\u2028", "\\ud800").endsWith("z");
    }

    @Test
    void severalLinesKeepNewlineAndTabOnly() {
        String out = GuestText.lines("a\r\nb\tc\rd\u001b[31m\u009b31m\u202eX");
        assertThat(out).isEqualTo("a\nb\tc\\rd\\x1b[31m\\x9b31m\\u202eX");
        assertThat(GuestText.lines(everyControl()).codePoints().filter(c -> GuestText.isControl(c, true))).isEmpty();
    }

    @Test
    void ordinaryTextIsUntouched() {
        String text = "6.12.0-rc1+ scx_simple: Grüße, 日本語, emoji \ud83d\ude00, backslash \\x1b stays";
        assertThat(GuestText.line(text)).isEqualTo(text);
        assertThat(GuestText.lines("two\nlines\n")).isEqualTo("two\nlines\n");
        assertThat(GuestText.line((String) null)).isEmpty();
    }

    @Test
    void longTextIsCutWithACountOfTheRest() {
        assertThat(GuestText.line("x".repeat(10_000), 10)).isEqualTo("xxxxxxxxxx… (9990 more bytes)");
        assertThat(GuestText.line("ab\u00e9\u00e9", 2)).isEqualTo("ab… (4 more bytes)");
        // an escape is never split, a surrogate pair neither
        assertThat(GuestText.line("ab\u001bcd", 4)).isEqualTo("ab… (3 more bytes)");
        assertThat(GuestText.line("a\ud83d\ude00", 2)).isEqualTo("a… (4 more bytes)");
        assertThat(GuestText.line("y".repeat(GuestText.DEFAULT_MAX_CHARS + 5))).endsWith("… (5 more bytes)");
        assertThat(GuestText.line("exact", 5)).isEqualTo("exact");
    }

    @Test
    void bytesFromTheGuestAreDecodedThenCleaned() {
        byte[] raw = {'o', 'k', (byte) 0xc2, (byte) 0x9b, '2', 'J', (byte) 0xff, '\n'};
        assertThat(GuestText.line(raw, 100)).isEqualTo("ok\\x9b2J\ufffd\\n");
        assertThat(GuestText.lines("e\u0301".getBytes(StandardCharsets.UTF_8), 100)).isEqualTo("e\u0301");
    }
}
