package dev.jktstr.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Which jktstr wrote a result: the Maven version and the git commit, both written at build time into
 * {@code jktstr-build.properties} (the antrun step in this module's pom; {@code unknown} when built outside git).
 */
public record BuildInfo(String version, String commit) {
    private static final BuildInfo CURRENT = load();

    /** This build's version and commit. */
    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("jktstr-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // unknown below
        }
        return new BuildInfo(clean(p.getProperty("version")), clean(p.getProperty("commit")));
    }

    private static String clean(String v) {
        return v == null || v.isBlank() || v.startsWith("${") ? "unknown" : v.strip();
    }
}
