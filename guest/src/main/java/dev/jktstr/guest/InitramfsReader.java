package dev.jktstr.guest;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a cpio newc initramfs (plain or gzip) into memory, validating it as it goes: for inspecting images and for
 * refusing a corrupt one before a guest is booted with it. Anything malformed throws {@link InitramfsException}.
 */
public final class InitramfsReader {
    private InitramfsReader() {}

    /** One archive member; {@code data} is the file content or the symlink target. */
    public record Entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) {
        public boolean isDirectory() {
            return (mode & 0170000) == InitramfsWriter.S_IFDIR;
        }

        public boolean isRegularFile() {
            return (mode & 0170000) == InitramfsWriter.S_IFREG;
        }

        public boolean isSymlink() {
            return (mode & 0170000) == InitramfsWriter.S_IFLNK;
        }

        public boolean isCharDevice() {
            return (mode & 0170000) == InitramfsWriter.S_IFCHR;
        }

        public int permissions() {
            return mode & 07777;
        }
    }

    /** Largest total of member data this reader keeps in memory. */
    public static final long MAX_TOTAL_SIZE = 1L << 30;

    public static List<Entry> read(Path archive) {
        try (InputStream in = Files.newInputStream(archive)) {
            return read(in);
        } catch (IOException e) {
            throw new InitramfsException("cannot read initramfs " + archive + ": " + e, e);
        }
    }

    /** Reads all members up to the trailer; gzip compression is detected by its magic bytes. */
    public static List<Entry> read(InputStream raw) {
        try {
            BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            return readCpio(in);
        } catch (ZipException e) {
            throw new InitramfsException("corrupt gzip stream in initramfs: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new InitramfsException("initramfs is truncated: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new InitramfsException("cannot read initramfs: " + e, e);
        }
    }

    /**
     * Reads archives until the end of the stream: like the kernel, it accepts several cpio archives one after the
     * other with NUL padding between them. Reading to the end also makes gzip verify its CRC and length.
     */
    private static List<Entry> readCpio(InputStream raw) throws IOException {
        PushbackInputStream in = new PushbackInputStream(raw, 1);
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        long total = 0;
        boolean sawArchive = false;
        while (true) {
            int b;
            while ((b = in.read()) == 0) {
                offset++;
            }
            if (b < 0) {
                if (!sawArchive) {
                    throw new InitramfsException("initramfs is truncated: no cpio archive in it");
                }
                return entries;
            }
            in.unread(b);
            sawArchive = true;
            while (true) {
                byte[] header = readExact(in, 110, "header at offset " + offset);
                String magic = new String(header, 0, 6, StandardCharsets.US_ASCII);
                if (!magic.equals("070701") && !magic.equals("070702")) {
                    throw new InitramfsException("bad cpio magic '" + printable(magic) + "' at offset " + offset
                            + " (expected newc 070701)");
                }
                long[] f = new long[13];
                for (int i = 0; i < 13; i++) {
                    f[i] = parseHex(header, 6 + 8 * i, offset);
                }
                long mode = f[1];
                long nlink = f[4];
                long size = f[6];
                long nameSize = f[11];
                if (nameSize < 2 || nameSize > InitramfsWriter.MAX_NAME_BYTES + 1) {
                    throw new InitramfsException("bad cpio name size " + nameSize + " at offset " + offset);
                }
                byte[] nameBytes = readExact(in, (int) nameSize, "name at offset " + offset);
                if (nameBytes[nameBytes.length - 1] != 0) {
                    throw new InitramfsException("cpio name at offset " + offset + " is not NUL-terminated");
                }
                String name = new String(nameBytes, 0, nameBytes.length - 1, StandardCharsets.UTF_8);
                if (name.indexOf('\0') >= 0) {
                    throw new InitramfsException("cpio name at offset " + offset + " contains NUL");
                }
                long pos = offset + 110 + nameSize;
                pos += skipPad(in, pos);
                if (name.equals("TRAILER!!!")) {
                    offset = pos;
                    break;
                }
                total += size;
                if (total > MAX_TOTAL_SIZE) {
                    throw new InitramfsException("initramfs members exceed " + MAX_TOTAL_SIZE + " bytes (at /" + name + ")");
                }
                byte[] data = readExact(in, (int) size, "data of " + name);
                pos += size;
                pos += skipPad(in, pos);
                entries.add(new Entry(name, (int) mode, (int) nlink, (int) f[9], (int) f[10], data));
                offset = pos;
            }
        }
    }

    private static long parseHex(byte[] b, int off, long entryOffset) {
        long v = 0;
        for (int i = off; i < off + 8; i++) {
            int d = Character.digit(b[i], 16);
            if (d < 0) {
                throw new InitramfsException("bad hex digit in cpio header field at offset " + (entryOffset + i));
            }
            v = v << 4 | d;
        }
        return v;
    }

    private static int skipPad(InputStream in, long pos) throws IOException {
        int pad = (int) ((4 - pos % 4) % 4);
        readExact(in, pad, "padding");
        return pad;
    }

    private static byte[] readExact(InputStream in, int n, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new InitramfsException("initramfs is truncated: " + what + " needs " + n + " bytes, has " + b.length);
        }
        return b;
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
