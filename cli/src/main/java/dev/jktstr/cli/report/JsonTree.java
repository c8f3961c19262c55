package dev.jktstr.cli.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON file read into plain maps, lists, strings, numbers, booleans and nulls (jackson-core tokens; the report
 * reads result files of any version, so it takes them as they are rather than through a schema). Files over
 * {@link #MAX_BYTES} are refused: a result file is tens of kilobytes, a monitor-heavy one a few megabytes.
 */
final class JsonTree {
    static final long MAX_BYTES = 64L << 20;
    private static final JsonFactory JSON = new JsonFactory();

    private JsonTree() {
    }

    /** The file's value; {@link IOException} with a one-line reason when it is not readable JSON. */
    static Object read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException("larger than " + (MAX_BYTES >> 20) + " MiB (" + size + " bytes)");
        }
        try (JsonParser p = JSON.createParser(file.toFile())) {
            if (p.nextToken() == null) {
                throw new IOException("empty file");
            }
            Object v = value(p);
            if (p.nextToken() != null) {
                throw new IOException("trailing content after the JSON value");
            }
            return v;
        }
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    m.put(k, value(p));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                yield l;
            }
            case VALUE_NUMBER_INT -> p.getNumberValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_STRING -> p.getText();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected " + t);
        };
    }

    // --- typed lookups that tolerate absent or mistyped fields (a version 1 file, a hand-edited one)

    static Object at(Object root, String... path) {
        Object o = root;
        for (String k : path) {
            if (!(o instanceof Map<?, ?> m)) {
                return null;
            }
            o = m.get(k);
        }
        return o;
    }

    static String str(Object root, String... path) {
        Object o = at(root, path);
        return o == null ? null : o instanceof Map || o instanceof List ? null : String.valueOf(o);
    }

    /** A number, also from version 1's "NaN" strings (as NaN); null when absent. */
    static Double num(Object root, String... path) {
        Object o = at(root, path);
        if (o instanceof Number n) {
            return n.doubleValue();
        }
        if (o instanceof String s && s.equals("NaN")) {
            return Double.NaN;
        }
        return null;
    }

    static List<?> list(Object root, String... path) {
        return at(root, path) instanceof List<?> l ? l : List.of();
    }
}
