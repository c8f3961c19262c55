package dev.jktstr.scenario.gauntlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.jktstr.scenario.JsonFile;
import dev.jktstr.scenario.ScenarioException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A gauntlet's {@code index.json}: the contract between {@code jktstr gauntlet} / {@code jktstr stats merge}, which
 * write it, and {@code jktstr report}, which reads it. {@code kind} {@value #KIND}, {@code version} {@value #VERSION},
 * {@code runs} sorted by (scenario, scheduler, preset, kernel).
 */
public record GauntletIndex(String jktstr, Instant created, Optional<Shard> shard, List<GauntletEntry> runs) {
    public static final String KIND = "jktstr-gauntlet-index";
    public static final int VERSION = 1;
    public static final String FILE_NAME = "index.json";
    /** An index larger than this is not ours (a matrix of 10^5 runs stays far below). */
    static final long MAX_BYTES = 64L << 20;

    private static final JsonFactory JSON = new JsonFactory();

    public GauntletIndex {
        Objects.requireNonNull(jktstr, "jktstr");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(shard, "shard");
        runs = runs.stream().sorted(java.util.Comparator.comparing(GauntletEntry::key)).toList();
    }

    /** The version of this jktstr (the jar's manifest, else the build's). */
    public static String jktstrVersion() {
        String v = GauntletIndex.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    /** Writes {@code <dir>/index.json} ({@link JsonFile}: a reader never sees half of one). */
    public Path write(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        try {
            JsonFile.write(file, g -> {
                g.writeStartObject();
                g.writeStringField("kind", KIND);
                g.writeNumberField("version", VERSION);
                g.writeStringField("jktstr", jktstr);
                g.writeStringField("created", created.toString());
                if (shard.isPresent()) {
                    g.writeObjectFieldStart("shard");
                    g.writeNumberField("index", shard.get().index());
                    g.writeNumberField("count", shard.get().count());
                    g.writeEndObject();
                } else {
                    g.writeNullField("shard");
                }
                g.writeArrayFieldStart("runs");
                for (GauntletEntry e : runs) {
                    g.writeStartObject();
                    g.writeStringField("scenario", e.key().scenario());
                    g.writeStringField("scheduler", e.key().scheduler());
                    g.writeStringField("preset", e.key().preset());
                    g.writeStringField("kernel", e.key().kernel());
                    g.writeStringField("outcome", e.outcome().name());
                    g.writeStringField("reason", e.reason());
                    g.writeStringField("result", e.result());
                    g.writeNumberField("wallMs", e.wallMs());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            });
        } catch (IOException e) {
            throw new ScenarioException("writing " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /**
     * Reads an index file (or {@code <dir>/index.json}); anything that is not one — not JSON, another kind or version,
     * a run without its names or with an unknown outcome, a result path that leaves the directory — throws
     * {@link ScenarioException} naming the file and what is wrong.
     */
    public static GauntletIndex read(Path fileOrDir) {
        Path file = Files.isDirectory(fileOrDir) ? fileOrDir.resolve(FILE_NAME) : fileOrDir;
        try {
            if (!Files.isRegularFile(file)) {
                throw new ScenarioException(file + ": no gauntlet index there");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new ScenarioException(file + ": " + Files.size(file) + " bytes, more than an index can be");
            }
            try (JsonParser p = JSON.createParser(file.toFile())) {
                return parse(p, file);
            }
        } catch (ScenarioException e) {
            // ours name the file already; a bad shard (Shard's own check) does not
            throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
                    : new ScenarioException(file + ": not a gauntlet index (" + oneLine(e) + ")", e);
        } catch (IOException | RuntimeException e) {
            // malformed JSON, a number where a name belongs, an unknown outcome, a bad date
            throw new ScenarioException(file + ": not a gauntlet index (" + oneLine(e) + ")", e);
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return dev.jktstr.machine.GuestText.line(m.lines().findFirst().orElse(m), 300);
    }

    private static GauntletIndex parse(JsonParser p, Path file) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new ScenarioException(file + ": not a gauntlet index (no JSON object)");
        }
        String kind = null, jktstr = "?";
        int version = -1;
        Instant created = Instant.EPOCH;
        Shard shard = null;
        List<GauntletEntry> runs = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "kind" -> kind = p.getText();
                case "version" -> version = p.getIntValue();
                case "jktstr" -> jktstr = p.getText();
                case "created" -> created = Instant.parse(p.getText());
                case "shard" -> shard = t == JsonToken.VALUE_NULL ? null : readShard(p);
                case "runs" -> {
                    if (t != JsonToken.START_ARRAY) {
                        throw new ScenarioException(file + ": 'runs' is not an array");
                    }
                    runs = new ArrayList<>();
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        runs.add(readEntry(p, file));
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (!KIND.equals(kind)) {
            throw new ScenarioException(file + ": not a gauntlet index (kind " + kind + ", expected " + KIND + ")");
        }
        if (version != VERSION) {
            throw new ScenarioException(file + ": gauntlet index version " + version + ", this jktstr reads " + VERSION);
        }
        if (runs == null) {
            throw new ScenarioException(file + ": gauntlet index without 'runs'");
        }
        return new GauntletIndex(jktstr, created, Optional.ofNullable(shard), runs);
    }

    private static Shard readShard(JsonParser p) throws IOException {
        int index = 0, count = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            p.nextToken();
            switch (f) {
                case "index" -> index = p.getIntValue();
                case "count" -> count = p.getIntValue();
                default -> p.skipChildren();
            }
        }
        return new Shard(index, count);
    }

    private static GauntletEntry readEntry(JsonParser p, Path file) throws IOException {
        String scenario = null, scheduler = null, preset = null, kernel = null, outcome = null, reason = null, result = null;
        long wall = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            String text = t == JsonToken.VALUE_NULL ? null : t.isScalarValue() ? p.getText() : null;
            switch (f) {
                case "scenario" -> scenario = text;
                case "scheduler" -> scheduler = text;
                case "preset" -> preset = text;
                case "kernel" -> kernel = text;
                case "outcome" -> outcome = text;
                case "reason" -> reason = text;
                case "result" -> result = text;
                case "wallMs" -> wall = t.isNumeric() ? p.getLongValue() : 0;
                default -> p.skipChildren();
            }
        }
        if (scenario == null || scheduler == null || preset == null || kernel == null || outcome == null) {
            throw new ScenarioException(file + ": a run without scenario, scheduler, preset, kernel or outcome");
        }
        if (result != null && !isInside(result)) {
            throw new ScenarioException(file + ": result path '" + dev.jktstr.machine.GuestText.line(result, 200)
                    + "' leaves the index's directory");
        }
        return new GauntletEntry(new RunKey(scenario, scheduler, preset, kernel), GauntletOutcome.valueOf(outcome), reason,
                result, wall);
    }

    /** A relative path that stays below the index's directory. */
    static boolean isInside(String relative) {
        try {
            Path p = Path.of(relative);
            return !p.isAbsolute() && !p.normalize().startsWith("..") && !relative.isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }
}
