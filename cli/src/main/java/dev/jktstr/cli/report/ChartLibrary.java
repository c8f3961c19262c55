package dev.jktstr.cli.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Chart.js, read from its WebJar on the class path ({@code org.webjars.npm:chart.js}) to be inlined into the report:
 * the page must open from disk with no network. Its UMD bundle is self-contained (it includes {@code @kurkle/color}).
 */
final class ChartLibrary {
    static final String VERSION = "4.4.1";
    static final String RESOURCE = "/META-INF/resources/webjars/chart.js/" + VERSION + "/dist/chart.umd.js";

    private ChartLibrary() {
    }

    /** The library's source, with any {@code </script} made harmless (it has none; this keeps it so). */
    static String source() {
        try (InputStream in = ChartLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("Chart.js is missing from the class path (" + RESOURCE
                        + "): rebuild jktstr (mvn install) so the cli jar includes org.webjars.npm:chart.js:" + VERSION);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("</script", "<\\/script")
                    .replaceAll("(?m)^//# sourceMappingURL=.*$", ""); // no fetch of a map that is not there
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
