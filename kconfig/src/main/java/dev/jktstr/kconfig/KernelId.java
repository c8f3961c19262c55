package dev.jktstr.kconfig;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * What {@code --kernel} names, parsed; {@link KernelIdResolver} turns it into a bootable {@link KernelImage}.
 * <ul>
 *   <li>{@code debian:6.12} — a cached build of Debian's {@code linux-source-6.12};</li>
 *   <li>{@code git:/path/to/linux@v6.12} — a cached build of that ref of a local git tree;</li>
 *   <li>anything else — a kernel directory or image path, or a kernel cache key ({@code jktstr kernel list}).</li>
 * </ul>
 */
public sealed interface KernelId {

    /** The text as given, for messages and labels. */
    String text();

    /** A path or a cache key: which one is decided when resolving (a path that exists wins). */
    record PathOrKey(String text) implements KernelId {}

    /** A build of Debian's {@code linux-source-VERSION}. */
    record Debian(String text, String version) implements KernelId {
        /** The Debian source package. */
        public String packageName() {
            return "linux-source-" + version;
        }
    }

    /** A build of {@code ref} (tag, branch, commit) of the git tree at {@code tree}. */
    record Git(String text, Path tree, String ref) implements KernelId {}

    Pattern DEBIAN_VERSION = Pattern.compile("\\d+\\.\\d+");
    /** Refs git itself would accept, minus anything that could read as an option or a range. */
    Pattern GIT_REF = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._/+~^-]*");

    /**
     * Parses a kernel id.
     *
     * @throws KconfigException naming the forms accepted when {@code text} is none of them
     */
    static KernelId parse(String text) {
        if (text == null || text.isBlank()) {
            throw new KconfigException("--kernel: empty kernel id; give a kernel directory or image, a cache key"
                    + " (jktstr kernel list), debian:6.12 or git:/path/to/linux@REF");
        }
        String t = text.strip();
        if (t.startsWith("debian:")) {
            String version = t.substring("debian:".length());
            if (!DEBIAN_VERSION.matcher(version).matches()) {
                throw new KconfigException("--kernel " + t + ": a Debian kernel id is debian:MAJOR.MINOR, e.g. debian:6.12");
            }
            return new Debian(t, version);
        }
        if (t.startsWith("git:")) {
            String rest = t.substring("git:".length());
            int at = rest.lastIndexOf('@');
            if (at <= 0 || at == rest.length() - 1) {
                throw new KconfigException("--kernel " + t + ": a git kernel id is git:/path/to/linux@REF"
                        + " (a tag, branch or commit), e.g. git:../linux@v6.12");
            }
            String ref = rest.substring(at + 1);
            if (!GIT_REF.matcher(ref).matches() || ref.contains("..")) {
                throw new KconfigException("--kernel " + t + ": '" + ref + "' is not a git ref this accepts"
                        + " (letters, digits and ._/+~^-, not starting with '-' or '.', no '..')");
            }
            return new Git(t, Path.of(rest.substring(0, at)), ref);
        }
        return new PathOrKey(t);
    }
}
