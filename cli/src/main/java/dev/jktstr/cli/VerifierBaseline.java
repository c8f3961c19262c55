package dev.jktstr.cli;

import dev.jktstr.scenario.JsonFile;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code jktstr verifier --save} writes and {@code --baseline} reads: a scheduler's BPF programs as the
 * verifier accepted them on one kernel and topology. A file of another format or version is refused by name.
 *
 * @param programs in program id order; {@link Program#key} names each across runs (ids change with every load)
 */
record VerifierBaseline(String scheduler, String kernelRelease, String topology, List<Program> programs) {
    static final String FORMAT = "jktstr-verifier";
    static final int VERSION = 1;
    /** Larger than any real baseline by far; a bigger file is not one. */
    private static final long MAX_BYTES = 16L << 20;
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One program: {@code key} is its name, with {@code #2}, {@code #3}... for later programs of the same name (the
     * kernel keeps 15 characters of a name).
     */
    record Program(String key, String type, String attachTo, long verifiedInsns) {}

    VerifierBaseline {
        programs = List.copyOf(programs);
    }

    void write(Path file) {
        try {
            JsonFile.write(file, g -> {
                g.writeStartObject();
                g.writeStringField("format", FORMAT);
                g.writeNumberField("version", VERSION);
                g.writeStringField("scheduler", scheduler);
                g.writeStringField("kernelRelease", kernelRelease);
                g.writeStringField("topology", topology);
                g.writeArrayFieldStart("programs");
                for (Program p : programs) {
                    g.writeStartObject();
                    g.writeStringField("name", p.key());
                    g.writeStringField("type", p.type());
                    if (p.attachTo() != null) {
                        g.writeStringField("attachTo", p.attachTo());
                    }
                    g.writeNumberField("verifiedInsns", p.verifiedInsns());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            });
        } catch (IOException e) {
            throw new IllegalArgumentException("--save " + file + ": cannot write it: " + e.getMessage(), e);
        }
    }

    /** Reads a baseline; anything else (another format or version, malformed JSON) is refused naming the file. */
    static VerifierBaseline read(Path file) {
        String where = "--baseline " + file + ": ";
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(where + "no such file");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException(where + "larger than " + MAX_BYTES + " bytes: not a verifier baseline");
            }
            try (JsonParser p = JSON.createParser(file.toFile())) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new IllegalArgumentException(where + "not a verifier baseline (no JSON object)");
                }
                String format = null, scheduler = "?", kernel = "?", topology = "?";
                Integer version = null;
                List<Program> programs = new ArrayList<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken t = p.nextToken();
                    switch (field) {
                        case "format" -> format = p.getText();
                        case "version" -> version = t == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
                        case "scheduler" -> scheduler = p.getText();
                        case "kernelRelease" -> kernel = p.getText();
                        case "topology" -> topology = p.getText();
                        case "programs" -> {
                            if (t != JsonToken.START_ARRAY) {
                                throw new IllegalArgumentException(where + "'programs' is not an array");
                            }
                            while (p.nextToken() == JsonToken.START_OBJECT) {
                                programs.add(program(p, where));
                            }
                        }
                        default -> p.skipChildren();
                    }
                }
                if (!FORMAT.equals(format)) {
                    throw new IllegalArgumentException(where + "not a verifier baseline (format " + format + ", wanted "
                            + FORMAT + "; write one with jktstr verifier --save)");
                }
                if (version == null || version != VERSION) {
                    throw new IllegalArgumentException(where + "verifier baseline version " + version
                            + ", this jktstr reads " + VERSION + "; save a new one with jktstr verifier --save");
                }
                return new VerifierBaseline(scheduler, kernel, topology, programs);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(where + "unreadable: " + e.getMessage(), e);
        }
    }

    private static Program program(JsonParser p, String where) throws IOException {
        String name = null, type = "", attachTo = null;
        long verified = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> name = p.getText();
                case "type" -> type = p.getText();
                case "attachTo" -> attachTo = p.getText();
                case "verifiedInsns" -> verified = t == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                default -> p.skipChildren();
            }
        }
        if (name == null || verified < 0) {
            throw new IllegalArgumentException(where + "a program without a name or a verifiedInsns count");
        }
        return new Program(name, type, attachTo, verified);
    }
}
