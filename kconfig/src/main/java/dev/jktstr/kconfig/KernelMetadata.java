package dev.jktstr.kconfig;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * What a cache entry was built from: kernel release, source identity, the hash of jktstr's
 * fragment and of the user's extra options, when and how long.
 */
public record KernelMetadata(
        String key,
        String release,
        String source,
        String fragmentHash,
        String extraKconfigHash,
        Instant builtAt,
        long buildSeconds) {

    private static final JsonFactory JSON = new JsonFactory();

    public String toJson() {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.useDefaultPrettyPrinter();
            json.writeStartObject();
            json.writeStringField("key", key);
            json.writeStringField("release", release);
            json.writeStringField("source", source);
            json.writeStringField("fragmentHash", fragmentHash);
            json.writeStringField("extraKconfigHash", extraKconfigHash);
            json.writeStringField("builtAt", builtAt.toString());
            json.writeNumberField("buildSeconds", buildSeconds);
            json.writeEndObject();
        } catch (IOException e) {
            throw new KconfigException("cannot write kernel metadata: " + e.getMessage(), e);
        }
        return out + "\n";
    }

    /** Reads {@code metadata.json}; a missing field or malformed JSON is a {@link KconfigException}. */
    public static KernelMetadata read(Path file) {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser json = JSON.createParser(Files.readString(file, StandardCharsets.UTF_8))) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new KconfigException(file + ": not a JSON object");
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                JsonToken value = json.nextToken();
                if (value.isStructStart()) {
                    json.skipChildren();
                } else {
                    fields.put(name, value == JsonToken.VALUE_NULL ? null : json.getValueAsString());
                }
            }
            return new KernelMetadata(required(fields, "key", file), required(fields, "release", file),
                    required(fields, "source", file), required(fields, "fragmentHash", file),
                    fields.getOrDefault("extraKconfigHash", ""),
                    Instant.parse(required(fields, "builtAt", file)),
                    Long.parseLong(fields.getOrDefault("buildSeconds", "0")));
        } catch (IOException | RuntimeException e) {
            if (e instanceof KconfigException k) {
                throw k;
            }
            throw new KconfigException(file + ": unreadable kernel metadata: " + e.getMessage(), e);
        }
    }

    private static String required(Map<String, String> fields, String name, Path file) {
        String value = fields.get(name);
        if (value == null || value.isEmpty()) {
            throw new KconfigException(file + ": kernel metadata lacks '" + name + "'");
        }
        return value;
    }
}
