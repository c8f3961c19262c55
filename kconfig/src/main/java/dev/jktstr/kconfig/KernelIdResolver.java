package dev.jktstr.kconfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Resolves a {@link KernelId} against the kernel cache. Nothing is built here: a Debian or git id whose build is not
 * cached fails with the exact {@code jktstr kernel build} command that makes it, and every miss lists what it tried.
 */
public final class KernelIdResolver {

    private final KernelCache cache;
    private final Path workDir;

    public KernelIdResolver(KernelCache cache, Path workDir) {
        this.cache = cache;
        this.workDir = workDir.toAbsolutePath().normalize();
    }

    /** The user's cache and this process's working directory. */
    public static KernelIdResolver standard() {
        return new KernelIdResolver(KernelCache.userDefault(), Path.of("").toAbsolutePath());
    }

    /** Parses and resolves {@code text} ({@link KernelId#parse}). */
    public KernelImage resolve(String text) {
        return resolve(KernelId.parse(text));
    }

    public KernelImage resolve(KernelId id) {
        return switch (id) {
            case KernelId.PathOrKey p -> pathOrKey(p);
            case KernelId.Debian d -> debian(d);
            case KernelId.Git g -> git(g);
        };
    }

    private KernelImage pathOrKey(KernelId.PathOrKey id) {
        List<String> tried = new ArrayList<>();
        Path asPath = workDir.resolve(id.text()).normalize();
        if (Files.exists(asPath)) {
            // An existing path is what the user meant; its own misses (no bzImage, ...) are the answer.
            return KernelLookup.resolve(asPath.toString(), id.text());
        }
        tried.add("as a path: " + asPath + ": no such file or directory");
        if (!id.text().contains("/")) {
            Optional<CacheEntry> entry = cache.find(id.text());
            if (entry.isPresent()) {
                return fromEntry(entry.get(), "cache " + id.text());
            }
            tried.add("as a cache key: " + cache.root().resolve(id.text()) + ": no such entry (" + cachedKeys() + ")");
        }
        throw new KernelNotFoundException("--kernel " + id.text() + " resolves to no kernel", tried,
                "Give a kernel directory or image, a key `jktstr kernel list` shows, debian:6.12 or git:TREE@REF.");
    }

    private KernelImage debian(KernelId.Debian id) {
        String prefix = "debian:" + id.packageName() + "=";
        List<CacheEntry> entries = cache.list();
        for (CacheEntry e : entries) {
            if (e.metadata().source().startsWith(prefix)) {
                return fromEntry(e, id.text() + " (cache " + e.key() + ")");
            }
        }
        List<String> tried = List.of("cache " + cache.root() + ": no entry built from " + id.packageName() + " ("
                + cachedSources(entries) + ")");
        String hint = KernelSource.DEBIAN_PACKAGE.equals(id.packageName())
                ? "Build it with `jktstr kernel build --debian` (about 15 minutes on 2 idle cores), then run again."
                : "`jktstr kernel build --debian` builds " + KernelSource.DEBIAN_PACKAGE + " only; build " + id.version()
                        + " from a source tree with `jktstr kernel build --source DIR`, or use git:TREE@REF.";
        throw new KernelNotFoundException("--kernel " + id.text() + ": not built yet", tried, hint);
    }

    private KernelImage git(KernelId.Git id) {
        Path tree = workDir.resolve(id.tree()).normalize();
        List<String> tried = new ArrayList<>();
        if (!Files.isDirectory(tree) || !Files.exists(tree.resolve(".git"))) {
            tried.add(tree + ": " + (Files.isDirectory(tree) ? "not a git tree (no .git)" : "no such directory"));
            throw new KernelNotFoundException("--kernel " + id.text() + ": no git tree", tried,
                    "Give the directory of a git clone of Linux, e.g. git:../linux@v6.12.");
        }
        String describe;
        try {
            String commit = Commands.output(List.of("git", "-C", tree.toString(), "rev-parse", "--verify", "--quiet",
                    "--end-of-options", id.ref() + "^{commit}"), tree).strip();
            // The build records `git describe --always --dirty --abbrev=12` of the tree it built (KernelSource);
            // the same description of the ref's commit finds a clean build of it.
            describe = Commands.output(List.of("git", "-C", tree.toString(), "describe", "--always", "--abbrev=12",
                    commit), tree).strip();
        } catch (KconfigException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("cannot run git")) {
                tried.add(tree + ": " + firstLine(e.getMessage()));
                throw new KernelNotFoundException("--kernel " + id.text() + ": git is needed to read the tree", tried,
                        "Install git (apt-get install git) or give the built kernel's directory instead.");
            }
            tried.add(tree + ": ref '" + id.ref() + "' is not a commit there (" + firstLine(e.getMessage()) + ")");
            throw new KernelNotFoundException("--kernel " + id.text() + ": unknown ref", tried,
                    "Give a tag, branch or commit of that tree (git -C " + quote(tree) + " tag -l 'v6.*').");
        }
        String identity = "git:" + describe;
        List<CacheEntry> entries = cache.list();
        for (CacheEntry e : entries) {
            if (e.metadata().source().equals(identity)) {
                return fromEntry(e, id.text() + " (cache " + e.key() + ")");
            }
        }
        tried.add("cache " + cache.root() + ": no entry built from " + identity + " (" + cachedSources(entries) + ")");
        Path checkout = tree.resolveSibling(tree.getFileName() + "-" + id.ref().replaceAll("[^A-Za-z0-9._+-]", "_"));
        throw new KernelNotFoundException("--kernel " + id.text() + ": not built yet", tried,
                "Build it with `git -C " + quote(tree) + " worktree add " + quote(checkout) + " " + id.ref()
                        + " && jktstr kernel build --source " + quote(checkout) + "`, then run again.");
    }

    private static KernelImage fromEntry(CacheEntry entry, String origin) {
        return KernelLookup.resolve(entry.directory().toString(), origin);
    }

    private String cachedKeys() {
        List<String> keys = cache.list().stream().map(CacheEntry::key).toList();
        return keys.isEmpty() ? "the cache is empty" : "cached: " + String.join(", ", keys);
    }

    private static String cachedSources(List<CacheEntry> entries) {
        return entries.isEmpty() ? "the cache is empty"
                : "cached: " + String.join(", ", entries.stream().map(e -> e.key() + " from " + e.metadata().source()).toList());
    }

    private static String firstLine(String s) {
        String line = s == null ? "" : s.strip().lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    /** Shell-quotes a path for a command the user copies. */
    static String quote(Path p) {
        String s = p.toString();
        return s.matches("[A-Za-z0-9._/+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
