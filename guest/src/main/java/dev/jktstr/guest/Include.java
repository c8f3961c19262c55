package dev.jktstr.guest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A host file or directory put into a guest's initramfs at {@code guestPath}: {@code jktstr shell -i PATH},
 * {@code --include HOST[:GUEST]}, {@code Vm.builder().include(..)}. Without a guest path it lands in
 * {@value #DEFAULT_DIR} under its own name ({@code /include/test.sh}); the agent puts {@value #DEFAULT_DIR} on the
 * guest's PATH, so an included executable runs by name. A directory comes in whole: its files with their
 * executable bit (0755, else 0644), its directories (0755) and its symbolic links as links (targets as written).
 */
public record Include(Path host, String guestPath) {
    /** Where an include without a guest path goes; on the guest's PATH. */
    public static final String DEFAULT_DIR = "/include";

    public Include {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(guestPath, "guestPath");
        if (!guestPath.startsWith("/")) {
            throw new IllegalArgumentException("include " + host + ": the guest path must be absolute, got '" + guestPath + "'");
        }
        try {
            InitramfsWriter.checkName(guestPath);
        } catch (InitramfsException e) {
            throw new IllegalArgumentException("include " + host + ": " + e.getMessage(), e);
        }
    }

    /** {@code host} at {@value #DEFAULT_DIR}/its name. */
    public static Include of(Path host) {
        Path name = host.toAbsolutePath().normalize().getFileName();
        if (name == null) {
            throw new IllegalArgumentException("include " + host + ": has no name to put under " + DEFAULT_DIR);
        }
        return new Include(host, DEFAULT_DIR + "/" + name);
    }

    /**
     * {@code HOST} or {@code HOST:GUEST} (the guest path absolute: the split is at the last {@code :/}, so a host
     * path with a colon still works alone).
     */
    public static Include parse(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw new IllegalArgumentException("include: empty path (HOST or HOST:GUEST)");
        }
        int split = spec.lastIndexOf(":/");
        if (split > 0) {
            return new Include(Path.of(spec.substring(0, split)), spec.substring(split + 1));
        }
        return of(Path.of(spec));
    }

    /**
     * Refuses, naming it, a host path that is missing or neither a file nor a directory: what keeps a typo from
     * costing a boot.
     */
    public Include check() {
        if (!Files.exists(host)) {
            throw new IllegalArgumentException("include: no file or directory at " + host);
        }
        if (!Files.isRegularFile(host) && !Files.isDirectory(host)) {
            throw new IllegalArgumentException("include: " + host + " is neither a file nor a directory");
        }
        if (!Files.isReadable(host)) {
            throw new IllegalArgumentException("include: cannot read " + host);
        }
        return this;
    }

    /** Adds the file, or the directory's whole tree, to {@code image}. */
    void addTo(GuestImage.Builder image) {
        check();
        if (!Files.isDirectory(host)) {
            image.addFile(host, guestPath, mode(host));
            return;
        }
        Path root = host.toAbsolutePath().normalize();
        List<Path> tree;
        try (Stream<Path> s = Files.walk(root)) {
            tree = s.sorted().toList(); // reproducible images: the same tree gives the same archive
        } catch (IOException e) {
            throw new UncheckedIOException("include " + host + ": " + e.getMessage(), e);
        }
        for (Path p : tree) {
            String rel = root.relativize(p).toString();
            String at = rel.isEmpty() ? guestPath : guestPath + "/" + rel;
            try {
                if (Files.isSymbolicLink(p)) {
                    image.addSymlink(Files.readSymbolicLink(p).toString(), at);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    image.addDirectory(at, 0755);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    image.addFile(p, at, mode(p));
                } // sockets, FIFOs and devices have no content to copy
            } catch (IOException e) {
                throw new UncheckedIOException("include " + p + ": " + e.getMessage(), e);
            }
        }
    }

    private static int mode(Path file) {
        return Files.isExecutable(file) ? 0755 : 0644;
    }

    @Override
    public String toString() {
        return host + ":" + guestPath;
    }
}
