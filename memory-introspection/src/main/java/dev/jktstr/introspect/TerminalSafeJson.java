package dev.jktstr.introspect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

/**
 * JSON that is safe to print to a terminal although its strings come from the guest ({@code inspect --json}):
 * everything outside printable ASCII is escaped, so C1 controls (CSI U+009B, OSC U+009D), bidi overrides and DEL
 * come out as {@code \}{@code uXXXX}. Jackson by itself escapes only C0. The JSON means the same.
 */
final class TerminalSafeJson {

    static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .characterEscapes(new Escapes())
            .build();

    private TerminalSafeJson() {
    }

    private static final class Escapes extends CharacterEscapes {
        private final int[] ascii;

        Escapes() {
            ascii = standardAsciiEscapesForJSON();
            ascii[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return null;
        }
    }
}
