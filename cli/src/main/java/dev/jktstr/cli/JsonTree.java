package dev.jktstr.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JSONObjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A JSON file read into plain maps, lists, strings, numbers, booleans and nulls (jackson-jr), and lookups by path
 * that tolerate absent or mistyped fields: the report and {@code jktstr dump show} read files of any version (and
 * the guest's text inside them) as they are rather than through a schema. Files over
 * {@link #MAX_BYTES} are refused: a result file is tens of kilobytes, a monitor-heavy one a few megabytes.
 */
public final class JsonTree {
    static final long MAX_BYTES = 64L << 20;
    private static final JsonFactory JSON_CORE = new JsonFactory();
    private static final JSON TREE = JSON.std.with(JSON.Feature.PRESERVE_FIELD_ORDERING);

    private JsonTree() {
    }

    /** The file's value; {@link IOException} with a one-line reason when it is not readable JSON. */
    public static Object read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException("larger than " + (MAX_BYTES >> 20) + " MiB (" + size + " bytes)");
        }
        try (JsonParser p = JSON_CORE.createParser(file.toFile())) {
            if (p.nextToken() == null) {
                throw new IOException("empty file");
            }
            Object v = TREE.anyFrom(p);
            if (p.nextToken() != null) {
                throw new IOException("trailing content after the JSON value");
            }
            return v;
        } catch (JSONObjectException e) {
            throw new IOException(e.getOriginalMessage(), e);
        }
    }

    // --- typed lookups that tolerate absent or mistyped fields (a version 1 file, a hand-edited one)

    public static Object at(Object root, String... path) {
        Object o = root;
        for (String k : path) {
            if (!(o instanceof Map<?, ?> m)) {
                return null;
            }
            o = m.get(k);
        }
        return o;
    }

    public static String str(Object root, String... path) {
        Object o = at(root, path);
        return o == null ? null : o instanceof Map || o instanceof List ? null : String.valueOf(o);
    }

    /** A number, also from version 1's "NaN" strings (as NaN); null when absent. */
    public static Double num(Object root, String... path) {
        Object o = at(root, path);
        if (o instanceof Number n) {
            return n.doubleValue();
        }
        if (o instanceof String s && s.equals("NaN")) {
            return Double.NaN;
        }
        return null;
    }

    public static List<?> list(Object root, String... path) {
        return at(root, path) instanceof List<?> l ? l : List.of();
    }
}
