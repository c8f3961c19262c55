package dev.jktstr.scenario.gauntlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.jktstr.machine.GuestText;
import dev.jktstr.scenario.ScenarioException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Joins the results directories of a sharded gauntlet ({@code jktstr stats merge DIR... -o OUT}) into one: every
 * run's result file copied to {@code OUT/runs/}, one {@link GauntletIndex} over all of them, equal (combinations and
 * outcomes) to the unsharded run's. A corrupt index is named and its directory skipped; a corrupt or missing result
 * file is named and its run kept without it (the outcome stands, the reason says the file was bad); a combination
 * found twice keeps its first. Nothing of that stops the merge.
 */
public final class GauntletMerge {
    private static final JsonFactory JSON = new JsonFactory();
    /** A result file larger than this is not one of ours (the largest seen are a few MiB with snapshots). */
    static final long MAX_RESULT_BYTES = 256L << 20;

    private GauntletMerge() {
    }

    /** What a merge did: the index written, and each problem met (already reported to the warnings consumer). */
    public record Merged(GauntletIndex index, Path indexFile, int merged, List<String> problems) {
    }

    public static Merged merge(List<Path> dirs, Path out, Consumer<String> warnings) {
        Map<RunKey, GauntletEntry> runs = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        Consumer<String> warn = w -> {
            problems.add(w);
            warnings.accept(w);
        };
        int merged = 0;
        Path outRuns = out.resolve(VmCombinationRunner.RUNS_DIR);
        for (Path dir : dirs) {
            GauntletIndex index;
            try {
                index = GauntletIndex.read(dir);
            } catch (ScenarioException e) {
                warn.accept("skipped " + dir + ": " + GuestText.line(e.getMessage(), 500));
                continue;
            }
            Path base = (Files.isDirectory(dir) ? dir : dir.toAbsolutePath().getParent());
            merged++;
            for (GauntletEntry e : index.runs()) {
                if (runs.containsKey(e.key())) {
                    warn.accept(dir + ": " + e.key() + " is already in an earlier directory; kept the first");
                    continue;
                }
                GauntletEntry kept = e;
                if (e.result() != null) {
                    Path src = base.resolve(e.result());
                    Optional<String> bad = corrupt(src);
                    if (bad.isPresent()) {
                        warn.accept("result " + src + " skipped: " + bad.get());
                        kept = new GauntletEntry(e.key(), e.outcome(), (e.reason() == null ? "" : e.reason() + "; ")
                                + "result file unreadable in the merge: " + bad.get(), null, e.wallMs());
                    } else {
                        Path dst = outRuns.resolve(e.key().fileName());
                        try {
                            Files.createDirectories(outRuns);
                            if (!Files.isSameFile(src.getParent(), outRuns) || !src.getFileName().equals(dst.getFileName())) {
                                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
                            }
                            kept = e.withResult(VmCombinationRunner.RUNS_DIR + "/" + e.key().fileName());
                        } catch (IOException io) {
                            throw new ScenarioException("copying " + src + " to " + dst + ": " + io.getMessage(), io);
                        }
                    }
                }
                runs.put(e.key(), kept);
            }
        }
        GauntletIndex index = new GauntletIndex(GauntletIndex.jktstrVersion(), Instant.now(), Optional.empty(),
                new ArrayList<>(runs.values()));
        return new Merged(index, index.write(out), merged, problems);
    }

    /** Why a result file is not one (missing, too large, not a JSON object, not well formed), or empty. */
    static Optional<String> corrupt(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return Optional.of("missing");
            }
            if (Files.size(file) > MAX_RESULT_BYTES) {
                return Optional.of(Files.size(file) + " bytes, too large for a result");
            }
            try (JsonParser p = JSON.createParser(file.toFile())) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return Optional.of("not a JSON object");
                }
                boolean versioned = false;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    p.nextToken();
                    if (f.equals("version")) {
                        versioned = p.currentToken().isNumeric();
                    }
                    p.skipChildren();
                }
                if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                    return Optional.of("not well-formed JSON");
                }
                return versioned ? Optional.empty() : Optional.of("no 'version': not a jktstr result");
            }
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            return Optional.of(GuestText.line(m.lines().findFirst().orElse(m), 300));
        }
    }
}
