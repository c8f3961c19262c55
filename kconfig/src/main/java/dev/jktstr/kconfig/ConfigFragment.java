package dev.jktstr.kconfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kconfig fragment or a whole {@code .config}: symbol assignments in order, where
 * {@code # CONFIG_X is not set} reads as the value {@code n}. Later assignments win, in one
 * fragment and across {@link #mergedWith merges}, the way {@code merge_config.sh} does it.
 */
public final class ConfigFragment {

    /** The value a {@code # CONFIG_X is not set} line assigns. */
    public static final String NOT_SET = "n";

    private static final Pattern ASSIGNMENT = Pattern.compile("(CONFIG_[A-Za-z0-9_]+)=(.*)");
    private static final Pattern UNSET = Pattern.compile("# (CONFIG_[A-Za-z0-9_]+) is not set");
    private static final Pattern VALUE = Pattern.compile("[ynm]|-?(0x)?[0-9a-fA-F]+|\"([^\"\\\\]|\\\\.)*\"");
    private static final Pattern CRITICAL_GROUP = Pattern.compile("#\\s*\\[critical]");

    private final String origin;
    private final Map<String, String> values;
    private final Set<String> critical;

    private ConfigFragment(String origin, Map<String, String> values, Set<String> critical) {
        this.origin = origin;
        this.values = Collections.unmodifiableMap(values);
        this.critical = Collections.unmodifiableSet(critical);
    }

    /** jktstr's own fragment, shipped as the resource {@code jktstr.kconfig}. */
    public static ConfigFragment shipped() {
        return parse(shippedText(), "jktstr.kconfig");
    }

    /** The shipped fragment's text, exactly as it is hashed into cache keys. */
    public static String shippedText() {
        try (InputStream in = ConfigFragment.class.getResourceAsStream("jktstr.kconfig")) {
            if (in == null) {
                throw new KconfigException("jktstr.kconfig is missing from the classpath (broken build)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ConfigFragment read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new KconfigException("cannot read Kconfig fragment " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses fragment text. A comment line {@code # [critical] ...} starts a group whose symbols
     * must take effect exactly; a blank line ends the group.
     *
     * @throws KconfigException naming the origin and line of anything that is not an assignment,
     *     an "is not set" line, a comment or blank
     */
    public static ConfigFragment parse(String text, String origin) {
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> critical = new LinkedHashSet<>();
        boolean inCriticalGroup = false;
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            Matcher unset = UNSET.matcher(line);
            Matcher assignment = ASSIGNMENT.matcher(line);
            if (line.isEmpty()) {
                inCriticalGroup = false;
            } else if (unset.matches()) {
                put(values, critical, inCriticalGroup, unset.group(1), NOT_SET);
            } else if (assignment.matches()) {
                String value = assignment.group(2);
                if (!VALUE.matcher(value).matches()) {
                    throw new KconfigException(origin + ":" + (i + 1) + ": bad value for " + assignment.group(1)
                            + ": '" + value + "' (expected y, n, m, a number or a quoted string)");
                }
                put(values, critical, inCriticalGroup, assignment.group(1), value);
            } else if (line.startsWith("#")) {
                if (CRITICAL_GROUP.matcher(line).lookingAt()) {
                    inCriticalGroup = true;
                }
            } else {
                throw new KconfigException(origin + ":" + (i + 1) + ": not a Kconfig assignment: '" + line
                        + "' (expected CONFIG_NAME=value or '# CONFIG_NAME is not set')");
            }
        }
        return new ConfigFragment(origin, values, critical);
    }

    private static void put(Map<String, String> values, Set<String> critical, boolean isCritical, String name,
            String value) {
        values.remove(name); // the last assignment decides the position too, as in merge_config.sh
        values.put(name, value);
        if (isCritical) {
            critical.add(name);
        }
    }

    /** This fragment with {@code later}'s assignments applied on top: {@code later} wins. */
    public ConfigFragment mergedWith(ConfigFragment later) {
        Map<String, String> merged = new LinkedHashMap<>(values);
        later.values.forEach((name, value) -> {
            merged.remove(name);
            merged.put(name, value);
        });
        Set<String> mergedCritical = new LinkedHashSet<>(critical);
        mergedCritical.addAll(later.critical);
        // A user override of a critical option is the user's decision: it is no longer verified.
        later.values.keySet().stream().filter(n -> !later.critical.contains(n)).forEach(mergedCritical::remove);
        return new ConfigFragment(origin + " + " + later.origin, merged, mergedCritical);
    }

    public String origin() {
        return origin;
    }

    /** Symbol → value, in the order a {@code .config} would list them; {@code n} for "not set". */
    public Map<String, String> values() {
        return values;
    }

    /** The symbols that must take effect exactly. */
    public Set<String> critical() {
        return critical;
    }

    /** The value of {@code symbol}, {@code n} when it is absent (Kconfig's default for bool). */
    public String valueOf(String symbol) {
        return values.getOrDefault(symbol, NOT_SET);
    }

    /** Renders as a fragment file: assignments and "is not set" lines, in order. */
    public String render() {
        StringBuilder out = new StringBuilder();
        values.forEach((name, value) -> out.append(NOT_SET.equals(value)
                ? "# " + name + " is not set\n"
                : name + "=" + value + "\n"));
        return out.toString();
    }

    /**
     * The assignments of this fragment that {@code actual} (a resolved {@code .config}) does not
     * honour, each as {@code CONFIG_X: wanted y, got n}.
     */
    public List<String> unmetIn(ConfigFragment actual, boolean criticalOnly) {
        return values.entrySet().stream()
                .filter(e -> !criticalOnly || critical.contains(e.getKey()))
                .filter(e -> !e.getValue().equals(actual.valueOf(e.getKey())))
                .map(e -> e.getKey() + ": wanted " + e.getValue() + ", got " + actual.valueOf(e.getKey()))
                .toList();
    }

    /** A stable hash of the assignments (not comments or layout): part of the kernel cache key. */
    public String hash() {
        return sha256(render());
    }

    static String sha256(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
