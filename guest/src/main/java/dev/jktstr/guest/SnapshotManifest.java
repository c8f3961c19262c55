package dev.jktstr.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.zip.CRC32C;

/**
 * What a stored snapshot is: its {@link SnapshotKey}, the size of its state file and a CRC-32C of the file's small
 * parts — its first {@value #HEAD_BYTES} bytes (the backend's device state) and last {@value #TAIL_BYTES} (the RAM
 * index and trailer) — written next to it as {@value #FILE} (a properties file). Checked before every restore, so a
 * truncated file or damaged device state is refused with the reason instead of reaching QEMU (which would fail late,
 * or load a half guest). The RAM pages between are covered by the size only: checksumming 100 MiB would cost more
 * than the rest of the lookup.
 */
public record SnapshotManifest(SnapshotKey key, long stateSize, long stateCrc32c) {

    static final String FILE = "manifest.properties";
    /** A manifest is small; anything larger is not ours. */
    private static final int MAX_BYTES = 64 << 10;
    private static final String KEY_PREFIX = "key.";
    static final int HEAD_BYTES = 4 << 20;
    static final int TAIL_BYTES = 1 << 20;

    /** The manifest of a state file just written. */
    static SnapshotManifest of(SnapshotKey key, Path state) throws IOException {
        return new SnapshotManifest(key, Files.size(state), crc32c(state));
    }

    void write(Path file) throws IOException {
        StringBuilder text = new StringBuilder("# jktstr snapshot manifest\n");
        text.append("state.size=").append(stateSize).append('\n');
        text.append("state.crc32c=").append(Long.toHexString(stateCrc32c)).append('\n');
        // components in the key's order, so a refusal names the same first difference every time
        key.components().forEach((k, v) -> text.append(propertyLine(KEY_PREFIX + k, v)));
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** One {@code name=value} line escaped as {@link Properties#load} reads it back. */
    private static String propertyLine(String name, String value) {
        Properties one = new Properties();
        one.setProperty(name, value);
        StringWriter w = new StringWriter();
        try {
            one.store(w, null);
        } catch (IOException e) {
            throw new IllegalStateException("a StringWriter does not fail", e);
        }
        return w.toString().lines().filter(l -> !l.startsWith("#")).map(l -> l + "\n").reduce("", String::concat);
    }

    /** Reads a manifest; anything missing, malformed or oversized is an {@link IOException} naming what. */
    static SnapshotManifest read(Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        }
        if (bytes.length > MAX_BYTES) {
            throw new IOException("manifest " + file + " is larger than " + MAX_BYTES + " bytes");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        Properties p = new Properties();
        try (Reader r = new StringReader(text)) {
            p.load(r);
        } catch (IllegalArgumentException e) {
            throw new IOException("manifest " + file + " is malformed: " + e.getMessage());
        }
        Map<String, String> components = new LinkedHashMap<>();
        // keep the file's order of components (Properties itself forgets it)
        for (String line : text.lines().toList()) {
            int eq = line.indexOf('=');
            if (line.startsWith(KEY_PREFIX) && eq > 0) {
                String name = line.substring(0, eq).strip();
                String value = p.getProperty(name);
                if (value != null) {
                    components.put(name.substring(KEY_PREFIX.length()), value);
                }
            }
        }
        try {
            long size = Long.parseLong(required(p, "state.size", file));
            long crc = Long.parseUnsignedLong(required(p, "state.crc32c", file), 16);
            if (size <= 0 || components.isEmpty()) {
                throw new IOException("manifest " + file + " has no state size or no key");
            }
            return new SnapshotManifest(new SnapshotKey(components), size, crc);
        } catch (NumberFormatException e) {
            throw new IOException("manifest " + file + " has a malformed number: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IOException("manifest " + file + ": " + e.getMessage());
        }
    }

    private static String required(Properties p, String name, Path file) throws IOException {
        String v = p.getProperty(name);
        if (v == null) {
            throw new IOException("manifest " + file + " lacks " + name);
        }
        return v.strip();
    }

    /** Why {@code state} is not the file this manifest describes (truncated, grown, damaged), or empty when it is. */
    Optional<String> check(Path state) throws IOException {
        if (!Files.isRegularFile(state)) {
            return Optional.of("the state file " + state + " is missing");
        }
        long size = Files.size(state);
        if (size != stateSize) {
            return Optional.of("the state file is " + size + " bytes, the manifest says " + stateSize
                    + (size < stateSize ? " (truncated)" : ""));
        }
        long crc = crc32c(state);
        if (crc != stateCrc32c) {
            return Optional.of("the state file's CRC-32C (first 4 MiB, last 1 MiB) is " + Long.toHexString(crc)
                    + ", the manifest says "
                    + Long.toHexString(stateCrc32c) + " (damaged)");
        }
        return Optional.empty();
    }

    /** CRC-32C of the file's first {@link #HEAD_BYTES} and last {@link #TAIL_BYTES} (the whole file when smaller). */
    static long crc32c(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long head = Math.min(size, HEAD_BYTES);
            update(crc, ch, 0, head);
            long tailStart = Math.max(head, size - TAIL_BYTES);
            update(crc, ch, tailStart, size - tailStart);
        }
        return crc.getValue();
    }

    private static void update(CRC32C crc, FileChannel ch, long from, long length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        long at = from;
        long end = from + length;
        while (at < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - at));
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new IOException("the state file shrank while being checked");
            }
            buf.flip();
            crc.update(buf);
            at += n;
        }
    }
}
