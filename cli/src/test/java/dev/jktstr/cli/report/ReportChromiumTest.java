package dev.jktstr.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.HostProgram;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the fixture's report in headless Chromium (Debian's {@code chromium}, installed by
 * {@code scripts/install-deps.sh}) and checks what a person would see: no script errors, every chart drew (each canvas
 * painted pixels, read back from {@code --dump-dom}), and a screenshot kept at {@code target/report-chromium/}.
 * Part of the normal unit suite; skips naming {@code chromium} where it is missing.
 */
@Tag("browser")
class ReportChromiumTest {
    /** Generous: a cold Chromium on a loaded 2-core host; the run is a few seconds when quiet. */
    private static final long TIMEOUT_S = 180;

    @Test
    void reportRendersWithoutScriptErrorsAndDrawsEveryChart(@TempDir Path dir) throws Exception {
        Path chromium = HostProgram.require("chromium", "apt-get install chromium (scripts/install-deps.sh installs it)");
        ReportFixture.copyTo(dir);
        HtmlReport.Written w = HtmlReport.write(dir, dir.resolve("report.html"));
        assertThat(w.charts()).isPositive();

        String dom = run(chromium, dir, "--dump-dom", w.file().toUri().toString());
        Matcher st = Pattern.compile("<div id=\"jktstr-status\"([^>]*)>([^<]*)").matcher(dom);
        assertThat(st.find()).as("status element in the rendered DOM").isTrue();
        String attrs = st.group(1);
        assertThat(attr(attrs, "data-errors")).as("script errors: " + st.group(2)).isEqualTo("0");
        assertThat(attr(attrs, "data-charts-expected")).isEqualTo(String.valueOf(w.charts()));
        assertThat(attr(attrs, "data-charts")).as(st.group(2)).isEqualTo(String.valueOf(w.charts()));
        assertThat(HtmlReportTest.count(dom, "data-drawn=\"true\"")).isEqualTo(w.charts());
        assertThat(dom).contains("data-jktstr-errors=\"0\"");

        Path shots = Path.of("target", "report-chromium");
        Files.createDirectories(shots);
        Path png = shots.resolve("report.png").toAbsolutePath();
        Files.deleteIfExists(png);
        run(chromium, dir, "--screenshot=" + png, "--window-size=1400,2000", w.file().toUri().toString());
        assertThat(png).isRegularFile();
        byte[] head = Files.readAllBytes(png);
        assertThat(head.length).isGreaterThan(10_000); // a blank 1400x2000 page compresses to a few kB
        assertThat(new String(head, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
        Files.copy(w.file(), shots.resolve("report.html"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Runs headless Chromium with a fresh profile (removed after); returns its stdout. */
    private static String run(Path chromium, Path work, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(work, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        Path out = work.resolve("chromium.out"), err = work.resolve("chromium.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
                throw new AssertionError("chromium did not finish in " + TIMEOUT_S + " s: " + tail(err));
            }
            assertThat(p.exitValue()).as("chromium exit status; stderr: " + tail(err)).isZero();
            return Files.readString(out);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static String tail(Path f) throws IOException {
        String s = Files.exists(f) ? Files.readString(f) : "";
        return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    }

    private static String attr(String attrs, String name) {
        Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(attrs);
        return m.find() ? m.group(1) : null;
    }
}
