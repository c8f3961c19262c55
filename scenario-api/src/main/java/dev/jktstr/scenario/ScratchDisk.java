package dev.jktstr.scenario;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The I/O work types' disk: a sparse raw image in the temp directory (no space used until the guest writes),
 * attached as the guest's first virtio disk (/dev/vda) and deleted when the VM closes.
 */
final class ScratchDisk implements AutoCloseable {
    private final Path file;

    private ScratchDisk(Path file) {
        this.file = file;
    }

    static ScratchDisk create(long mib) {
        Path f = null;
        try {
            f = Files.createTempFile("jktstr-scratch-", ".img");
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(mib << 20);
            }
            f.toFile().deleteOnExit(); // a JVM that dies before close() still leaves nothing behind
            return new ScratchDisk(f);
        } catch (IOException e) {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // reported below
                }
            }
            throw new UncheckedIOException("creating a " + mib + " MiB scratch disk in " + System.getProperty("java.io.tmpdir")
                    + ": " + e.getMessage(), e);
        }
    }

    Path path() {
        return file;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // best effort; deleteOnExit is the backstop
        }
    }
}
