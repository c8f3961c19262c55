package dev.jktstr.cli.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The door to the report: reads a results directory ({@link ReportInput}) and writes the page ({@link ReportPage})
 * atomically (a temp file beside the target, then a move: a half-written report never replaces a good one).
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /** What was written: how many runs and chart canvases, and the files that could not be used. */
    public record Written(Path file, int runs, int charts, List<String> warnings) {}

    /** Writes the report of {@code dir} to {@code out}; {@link IllegalArgumentException} for a missing directory. */
    public static Written write(Path dir, Path out) {
        ReportInput in = ReportInput.load(dir);
        String html = ReportPage.html(in, "jktstr report: " + dir.toAbsolutePath().normalize().getFileName());
        int charts = html.split("<canvas ", -1).length - 1;
        Path target = out.toAbsolutePath();
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), ".report-", ".html.tmp");
            Files.writeString(tmp, html, StandardCharsets.UTF_8);
            try { // createTempFile makes it private; a report is for sharing like any file the user writes
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its default stands
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("writing the report " + out + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temp file is in the target's directory, named as ours
                }
            }
        }
        return new Written(target, in.runs().size(), charts, in.warnings());
    }
}
