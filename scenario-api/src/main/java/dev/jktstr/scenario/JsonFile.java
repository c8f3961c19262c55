package dev.jktstr.scenario;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes one pretty-printed JSON file (jackson-core, streaming) — result files, failure dumps, gauntlet indexes,
 * verifier baselines: its directory is created, and the content goes to a temporary file moved into place, so a
 * reader (a report, a merge of shards) never sees half a file and a failed write leaves nothing behind.
 */
public final class JsonFile {
    private static final JsonFactory JSON = new JsonFactory();

    /** What goes into the file, written to a generator. */
    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private JsonFile() {
    }

    /** Writes {@code file}; the caller words the {@link IOException} for its user. */
    public static Path write(Path file, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (JsonGenerator g = JSON.createGenerator(tmp.toFile(), JsonEncoding.UTF8)) {
                g.useDefaultPrettyPrinter();
                body.write(g);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }
}
