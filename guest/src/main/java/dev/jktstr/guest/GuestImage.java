package dev.jktstr.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A guest initramfs on disk: the agent as /init, optionally busybox with its applet links, and the caller's files.
 *
 * <pre>{@code
 * try (GuestImage image = GuestImage.builder().withBusybox(true)
 *         .addBinary(Path.of("scx_simple"), "/bin/scx_simple").build()) {
 *     boot(kernel, image.initramfs());
 * }
 * }</pre>
 *
 * The file lives in the system temp directory and is deleted on {@link #close()} and, failing that, on JVM exit.
 */
public final class GuestImage implements AutoCloseable {
    /** Where the agent binary sits on the classpath (built from src/main/c by the Maven build). */
    static final String AGENT_RESOURCE = "/dev/jktstr/guest/jktstr-agent";
    /** Where Debian's busybox-static installs busybox. */
    public static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");

    private final Path initramfs;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GuestImage(Path initramfs) {
        this.initramfs = initramfs;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The initramfs file (cpio newc, gzip-compressed unless the builder said otherwise). */
    public Path initramfs() {
        if (closed.get()) {
            throw new IllegalStateException("the guest image is closed");
        }
        return initramfs;
    }

    /** Deletes the initramfs file. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                Files.deleteIfExists(initramfs);
            } catch (IOException e) {
                throw new UncheckedIOException("deleting " + initramfs, e);
            }
        }
    }

    /** The agent executable that becomes /init. */
    public static byte[] agentBinary() {
        try (InputStream in = GuestImage.class.getResourceAsStream(AGENT_RESOURCE)) {
            if (in == null) {
                throw new GuestException("the guest agent binary " + AGENT_RESOURCE + " is not on the classpath: build "
                        + "jktstr-guest with Maven (it compiles src/main/c with gcc -static in generate-resources)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the guest agent binary", e);
        }
    }

    /** Collects the image's contents; {@link #build()} writes the file. */
    public static final class Builder {
        private sealed interface Item permits HostFile, Bytes, Dir, Link {}

        private record HostFile(Path host, String guestPath, int mode) implements Item {}

        private record Bytes(byte[] data, String guestPath, int mode) implements Item {}

        private record Dir(String guestPath, int mode) implements Item {}

        private record Link(String target, String guestPath) implements Item {}

        private final List<Item> items = new ArrayList<>();
        private boolean busybox;
        private Path busyboxPath = DEFAULT_BUSYBOX;
        private InitramfsWriter.Compression compression = InitramfsWriter.Compression.GZIP;

        private Builder() {}

        /** Puts busybox at /bin/busybox with a symlink per applet (sh, ls, cat, mount, ...), for shell mode. */
        public Builder withBusybox(boolean include) {
            this.busybox = include;
            return this;
        }

        /** Uses another busybox binary than Debian busybox-static's /bin/busybox; it must be static. */
        public Builder withBusybox(Path busyboxBinary) {
            this.busybox = true;
            this.busyboxPath = Objects.requireNonNull(busyboxBinary, "busyboxBinary");
            return this;
        }

        public Builder withCompression(InitramfsWriter.Compression compression) {
            this.compression = Objects.requireNonNull(compression, "compression");
            return this;
        }

        /**
         * Copies the host file {@code host} to {@code guestPath} with permission bits {@code mode}. Like every
         * builder method, source first, guest path second; a guest path busybox already uses is a duplicate.
         */
        public Builder addFile(Path host, String guestPath, int mode) {
            InitramfsWriter.checkName(guestPath);
            items.add(new HostFile(Objects.requireNonNull(host, "host"), guestPath, mode));
            return this;
        }

        /** Copies an executable (mode 0755), e.g. a scheduler binary; it must run in the guest (static, or libs added). */
        public Builder addBinary(Path host, String guestPath) {
            return addFile(host, guestPath, 0755);
        }

        /** Adds a host file or directory tree ({@link Include}); a missing one is refused, naming it. */
        public Builder include(Include include) {
            include.addTo(this);
            return this;
        }

        /** Adds a file with the given content. */
        public Builder addBytes(byte[] data, String guestPath, int mode) {
            InitramfsWriter.checkName(guestPath);
            items.add(new Bytes(data.clone(), guestPath, mode));
            return this;
        }

        public Builder addDirectory(String guestPath, int mode) {
            InitramfsWriter.checkName(guestPath);
            items.add(new Dir(guestPath, mode));
            return this;
        }

        /** Adds a symbolic link at {@code guestPath} pointing to {@code target} (argument order of {@code ln -s}). */
        public Builder addSymlink(String target, String guestPath) {
            InitramfsWriter.checkName(guestPath);
            items.add(new Link(Objects.requireNonNull(target, "target"), guestPath));
            return this;
        }

        /**
         * Writes the initramfs to a new temp file.
         *
         * @throws GuestException when busybox is wanted but missing, or an item cannot be added
         */
        public GuestImage build() {
            byte[] agent = agentBinary();
            List<String> applets = busybox ? busyboxApplets(busyboxPath) : List.of();
            Path file;
            try {
                file = Files.createTempFile(dev.jktstr.machine.RunDirectory.current(), "initramfs-", compression == InitramfsWriter.Compression.GZIP ? ".cpio.gz" : ".cpio");
            } catch (IOException e) {
                throw new UncheckedIOException("creating the initramfs temp file", e);
            }
            file.toFile().deleteOnExit();
            boolean ok = false;
            try (OutputStream out = Files.newOutputStream(file);
                 InitramfsWriter w = InitramfsWriter.open(out, compression)) {
                for (String d : List.of("dev", "proc", "sys", "tmp", "root", "bin", "sbin", "usr/bin", "usr/sbin", "etc")) {
                    w.addDirectory(d, d.equals("tmp") ? 01777 : d.equals("root") ? 0700 : 0755);
                }
                // The kernel opens /dev/console for init's stdio before devtmpfs is mounted.
                w.addCharDevice("dev/console", 0600, 5, 1);
                w.addCharDevice("dev/null", 0666, 1, 3);
                w.addFile("init", agent, 0755);
                if (busybox) {
                    w.addFile("bin/busybox", busyboxPath, 0755);
                    for (String applet : applets) {
                        String link = applet.contains("/") ? applet : "bin/" + applet;
                        if (!w.contains(link)) {
                            w.addSymlink(link, "/bin/busybox");
                        }
                    }
                }
                for (Item item : items) {
                    switch (item) {
                        case HostFile f -> w.addFile(f.guestPath(), f.host(), f.mode());
                        case Bytes b -> w.addFile(b.guestPath(), b.data(), b.mode());
                        case Dir d -> w.addDirectory(d.guestPath(), d.mode());
                        case Link l -> w.addSymlink(l.guestPath(), l.target());
                    }
                }
                ok = true;
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + file, e);
            } finally {
                if (!ok) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // best effort; deleteOnExit is registered too
                    }
                }
            }
            return new GuestImage(file);
        }
    }

    /** Applet paths from {@code busybox --list-full} (e.g. "bin/sh", "sbin/poweroff"), sorted for reproducibility. */
    static List<String> busyboxApplets(Path busybox) {
        if (!Files.isRegularFile(busybox)) {
            throw new GuestException("busybox not found at " + busybox + ": install Debian's busybox-static package "
                    + "(apt-get install busybox-static) or pass another static busybox to withBusybox(Path)");
        }
        Process p;
        try {
            p = new ProcessBuilder(busybox.toString(), "--list-full").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new GuestException("cannot run " + busybox + " --list-full: " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new GuestException(busybox + " --list-full failed: " + new String(out, StandardCharsets.UTF_8).strip());
            }
            Set<String> applets = new LinkedHashSet<>();
            for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
                String a = line.strip();
                if (!a.isEmpty() && !a.equals("bin/busybox") && !a.equals("init") && !a.equals("sbin/init")
                        && !a.equals("linuxrc")) {
                    applets.add(a);
                }
            }
            return applets.stream().sorted().toList();
        } catch (IOException e) {
            throw new GuestException("reading " + busybox + " --list-full: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException("interrupted running " + busybox + " --list-full");
        } finally {
            p.destroyForcibly();
        }
    }
}
