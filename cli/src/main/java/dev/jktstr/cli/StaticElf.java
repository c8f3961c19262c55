package dev.jktstr.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Tells whether an x86-64 ELF executable is static: it has no PT_INTERP program header. */
final class StaticElf {
    private static final int PT_INTERP = 3;
    private static final int MAX_PROGRAM_HEADERS = 4096;

    private StaticElf() {}

    static boolean isStatic(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer header = read(ch, 0, 64);
            if (header.getInt(0) != 0x464c457f || header.get(4) != 2) {
                throw new IllegalArgumentException(file + " is not a 64-bit ELF file");
            }
            long phoff = header.getLong(0x20);
            int phentsize = Short.toUnsignedInt(header.getShort(0x36));
            int phnum = Short.toUnsignedInt(header.getShort(0x38));
            if (phentsize < 4 || phnum > MAX_PROGRAM_HEADERS || phoff < 0 || phoff + (long) phentsize * phnum > ch.size()) {
                throw new IllegalArgumentException(file + " has a malformed program header table");
            }
            ByteBuffer table = read(ch, phoff, phentsize * phnum);
            for (int i = 0; i < phnum; i++) {
                if (table.getInt(i * phentsize) == PT_INTERP) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (ch.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("truncated at byte " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }
}
