package dev.jktstr.cli.report;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * The checked-in results directory the report tests render ({@code src/test/resources/report-fixture}): an index with
 * PASS, FAIL, INCONCLUSIVE (its result file is corrupt), SKIP and ERROR runs, results in format v1 and v2, a FAIL
 * result full of hostile guest text (HTML, {@code </script>}, terminal escapes) and a failure dump to be ignored.
 */
final class ReportFixture {
    private ReportFixture() {
    }

    /** A copy of the fixture in {@code dir} (tests may delete the index or add files). */
    static Path copyTo(Path dir) throws IOException {
        Path src;
        try {
            src = Path.of(ReportFixture.class.getResource("/report-fixture/index.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = dir.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return dir;
    }
}
