package dev.jktstr.guest;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPOutputStream;

/**
 * Writes an initramfs: a cpio archive in the "newc" format (magic 070701) the kernel unpacks into its rootfs,
 * optionally gzip-compressed (the shared kernel has CONFIG_RD_GZIP, among others).
 *
 * <p>Entries are written in the order they are added; a missing parent directory is added (0755) just before its
 * first child. The output is deterministic: uid/gid 0, mtime 0, inode numbers counted from 1, and gzip's header
 * carries no timestamp. Names are relative to the archive root ("/init" and "init" are the same entry).
 */
public final class InitramfsWriter implements AutoCloseable {
    /** How the archive is compressed. */
    public enum Compression { NONE, GZIP }

    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;
    static final int S_IFCHR = 0020000;
    /** cpio newc stores sizes in 8 hex digits. */
    public static final long MAX_FILE_SIZE = 0xFFFF_FFFFL;
    static final int MAX_NAME_BYTES = 4095;
    private static final String TRAILER = "TRAILER!!!";

    private final OutputStream sink;
    private final CountingStream counted;
    private final GZIPOutputStream gzip;
    private final OutputStream out;
    private final Map<String, Integer> types = new HashMap<>();
    private int nextInode = 1;
    private boolean finished;

    private InitramfsWriter(OutputStream sink, Compression compression) throws IOException {
        this.sink = sink;
        this.gzip = compression == Compression.GZIP ? new GZIPOutputStream(sink, 1 << 16) : null;
        this.counted = new CountingStream(new BufferedOutputStream(gzip != null ? gzip : sink, 1 << 16));
        this.out = counted;
    }

    /** Starts an archive on {@code out}; {@link #close()} finishes it and closes {@code out}. */
    public static InitramfsWriter open(OutputStream out, Compression compression) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(compression, "compression");
        try {
            return new InitramfsWriter(out, compression);
        } catch (IOException e) {
            throw new UncheckedIOException("starting the initramfs stream", e);
        }
    }

    /** Adds a directory; adding one that is already there (explicitly or as a parent) is a no-op. */
    public InitramfsWriter addDirectory(String path, int mode) {
        String name = checkName(path);
        checkMode(mode);
        if (Integer.valueOf(S_IFDIR).equals(types.get(name))) {
            return this;
        }
        addParents(name);
        claim(name, S_IFDIR);
        writeEntry(name, S_IFDIR | mode, 2, 0, 0, new byte[0]);
        return this;
    }

    /** Adds a regular file holding {@code data}. */
    public InitramfsWriter addFile(String path, byte[] data, int mode) {
        Objects.requireNonNull(data, "data");
        String name = checkName(path);
        checkMode(mode);
        addParents(name);
        claim(name, S_IFREG);
        writeEntry(name, S_IFREG | mode, 1, 0, 0, data);
        return this;
    }

    /** Adds a regular file copied from the host file {@code source} (streamed, not loaded whole). */
    public InitramfsWriter addFile(String path, Path source, int mode) {
        Objects.requireNonNull(source, "source");
        String name = checkName(path);
        checkMode(mode);
        long size;
        try {
            if (!Files.isRegularFile(source)) {
                throw new InitramfsException("cannot add " + source + " as /" + name + ": not a regular file");
            }
            size = Files.size(source);
        } catch (IOException e) {
            throw new InitramfsException("cannot add " + source + " as /" + name + ": " + e, e);
        }
        if (size > MAX_FILE_SIZE) {
            throw new InitramfsException("cannot add " + source + " as /" + name + ": " + size
                    + " bytes exceeds the cpio newc limit of " + MAX_FILE_SIZE);
        }
        addParents(name);
        claim(name, S_IFREG);
        try (InputStream in = Files.newInputStream(source)) {
            writeHeader(name, S_IFREG | mode, 1, 0, 0, size);
            long copied = in.transferTo(new LimitedStream(out, size, source));
            if (copied != size) {
                throw new InitramfsException(source + " shrank from " + size + " to " + copied + " bytes while it was added");
            }
            pad();
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + source + " into the initramfs", e);
        }
        return this;
    }

    /** Adds a symbolic link at {@code path} pointing to {@code target}. */
    public InitramfsWriter addSymlink(String path, String target) {
        String name = checkName(path);
        Objects.requireNonNull(target, "target");
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        if (t.length == 0 || t.length > MAX_NAME_BYTES || target.indexOf('\0') >= 0) {
            throw new InitramfsException("bad symlink target for /" + name + ": '" + target.replace('\0', '?') + "'");
        }
        addParents(name);
        claim(name, S_IFLNK);
        writeEntry(name, S_IFLNK | 0777, 1, 0, 0, t);
        return this;
    }

    /** Adds a character device node, e.g. /dev/console (5, 1) so the kernel can give init its stdio. */
    public InitramfsWriter addCharDevice(String path, int mode, int major, int minor) {
        String name = checkName(path);
        checkMode(mode);
        if (major < 0 || minor < 0 || major > 0xFFF || minor > 0xFFFFF) {
            throw new InitramfsException("bad device number " + major + ":" + minor + " for /" + name);
        }
        addParents(name);
        claim(name, S_IFCHR);
        writeEntry(name, S_IFCHR | mode, 1, major, minor, new byte[0]);
        return this;
    }

    /** Whether an entry (explicit or an implied parent directory) exists at {@code path}. */
    public boolean contains(String path) {
        return types.containsKey(checkName(path));
    }

    /** Writes the trailer and finishes compression; closes the underlying stream. Idempotent. */
    @Override
    public void close() {
        if (finished) {
            return;
        }
        finished = true;
        try (OutputStream s = sink) {
            writeEntryRaw(TRAILER, 0, 1, 0, 0, new byte[0]);
            // Pad the archive to 512 bytes like cpio(1) does.
            long rem = counted.count % 512;
            if (rem != 0) {
                out.write(new byte[(int) (512 - rem)]);
            }
            out.flush();
            if (gzip != null) {
                gzip.finish();
            }
            s.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("finishing the initramfs", e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static String checkName(String path) {
        Objects.requireNonNull(path, "path");
        String name = path;
        while (name.startsWith("/")) {
            name = name.substring(1);
        }
        while (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty()) {
            throw new InitramfsException("bad initramfs path '" + path + "': empty (the root directory always exists)");
        }
        if (name.indexOf('\0') >= 0) {
            throw new InitramfsException("bad initramfs path '" + path.replace('\0', '?') + "': contains NUL");
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new InitramfsException("bad initramfs path '" + path + "': empty, '.' or '..' component");
            }
        }
        if (name.equals(TRAILER)) {
            throw new InitramfsException("bad initramfs path '" + path + "': reserved for the cpio trailer");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new InitramfsException("bad initramfs path: longer than " + MAX_NAME_BYTES + " bytes");
        }
        return name;
    }

    private static void checkMode(int mode) {
        if ((mode & ~07777) != 0) {
            throw new InitramfsException("bad mode 0" + Integer.toOctalString(mode) + ": only permission bits (07777) are allowed");
        }
    }

    private void addParents(String name) {
        int slash = name.lastIndexOf('/');
        if (slash < 0) {
            return;
        }
        String parent = name.substring(0, slash);
        Integer type = types.get(parent);
        if (type == null) {
            addDirectory(parent, 0755);
        } else if (type != S_IFDIR) {
            throw new InitramfsException("cannot add /" + name + ": /" + parent + " is not a directory");
        }
    }

    private void claim(String name, int type) {
        if (finished) {
            throw new IllegalStateException("the initramfs is already closed");
        }
        Integer existing = types.putIfAbsent(name, type);
        if (existing != null) {
            throw new InitramfsException("duplicate initramfs entry /" + name);
        }
    }

    private void writeEntry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) {
        try {
            writeEntryRaw(name, mode, nlink, rdevMajor, rdevMinor, data);
        } catch (IOException e) {
            throw new UncheckedIOException("writing /" + name + " into the initramfs", e);
        }
    }

    private void writeEntryRaw(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) throws IOException {
        if (data.length > MAX_FILE_SIZE) {
            throw new InitramfsException("/" + name + " is too large for cpio newc");
        }
        writeHeader(name, mode, nlink, rdevMajor, rdevMinor, data.length);
        out.write(data);
        pad();
    }

    private void writeHeader(String name, int mode, int nlink, int rdevMajor, int rdevMinor, long size) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        boolean trailer = name.equals(TRAILER) && mode == 0;
        StringBuilder h = new StringBuilder(110);
        h.append("070701");
        hex(h, trailer ? 0 : nextInode++); // c_ino
        hex(h, mode);
        hex(h, 0); // uid
        hex(h, 0); // gid
        hex(h, nlink);
        hex(h, 0); // mtime: fixed, for reproducible images
        hex(h, size);
        hex(h, 0); // devmajor
        hex(h, 0); // devminor
        hex(h, rdevMajor);
        hex(h, rdevMinor);
        hex(h, nameBytes.length + 1);
        hex(h, 0); // check
        out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(nameBytes);
        out.write(0);
        pad();
    }

    private static void hex(StringBuilder h, long v) {
        String s = Long.toHexString(v);
        h.append("0".repeat(8 - s.length())).append(s);
    }

    private void pad() throws IOException {
        int rem = (int) (counted.count % 4);
        if (rem != 0) {
            out.write(new byte[4 - rem]);
        }
    }

    /** Counts bytes of the uncompressed archive, for cpio's 4-byte alignment; buffers below it. */
    private static final class CountingStream extends OutputStream {
        private final OutputStream target;
        long count;

        CountingStream(OutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            target.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            target.flush();
        }
    }

    /** Refuses bytes beyond the size announced in the header (a file that grew while it was copied). */
    private static final class LimitedStream extends OutputStream {
        private final OutputStream target;
        private final Path source;
        private long left;

        LimitedStream(OutputStream target, long limit, Path source) {
            this.target = target;
            this.left = limit;
            this.source = source;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > left) {
                throw new InitramfsException(source + " grew while it was added to the initramfs");
            }
            target.write(b, off, len);
            left -= len;
        }
    }
}
