package dev.jktstr.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What {@code jktstr stats list} shows of one result file: scenario, scheduler, topology, outcome. Read leniently
 * (a field this reader does not find reads "?"), so a file of a newer format still lists; whether its metrics can
 * be compared is {@code ResultJson.readMetrics}'s call, not this one's.
 */
record RunSummary(Path file, String version, String scenario, String scheduler, String topology, String outcome) {
    private static final JsonFactory JSON = new JsonFactory();
    private static final String UNKNOWN = "?";

    static RunSummary read(Path file) {
        String[] f = {UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN};
        try (JsonParser p = JSON.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new RunSummary(file, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, "not a result file");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "version" -> f[0] = p.getText();
                    case "scenario" -> f[1] = t.isScalarValue() ? p.getText() : skip(p);
                    case "scheduler" -> f[2] = t == JsonToken.START_OBJECT ? member(p, "name") : p.getText();
                    case "topology" -> f[3] = t == JsonToken.START_OBJECT ? topology(p) : p.getText();
                    case "verdict" -> f[4] = t == JsonToken.START_OBJECT ? member(p, "outcome") : p.getText();
                    default -> p.skipChildren();
                }
            }
        } catch (IOException e) {
            return new RunSummary(file, f[0], f[1], f[2], f[3], "unreadable: " + e.getMessage());
        }
        return new RunSummary(file, f[0], f[1], f[2], f[3], f[4]);
    }

    private static String skip(JsonParser p) throws IOException {
        p.skipChildren();
        return UNKNOWN;
    }

    /** The scalar member {@code name} of the object the parser is at; the rest of the object skipped. */
    private static String member(JsonParser p, String name) throws IOException {
        String v = UNKNOWN;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            if (f.equals(name) && t.isScalarValue()) {
                v = p.getText();
            } else {
                p.skipChildren();
            }
        }
        return v;
    }

    /** {@code N,L,C,T} from the topology object's counts. */
    private static String topology(JsonParser p) throws IOException {
        String[] ntlc = {UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN};
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            int i = switch (f) {
                case "numaNodes" -> 0;
                case "llcsPerNode" -> 1;
                case "coresPerLlc" -> 2;
                case "threadsPerCore" -> 3;
                default -> -1;
            };
            if (i >= 0 && t.isScalarValue()) {
                ntlc[i] = p.getText();
            } else {
                p.skipChildren();
            }
        }
        return String.join(",", ntlc);
    }
}
