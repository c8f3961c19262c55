package dev.jktstr.virtio;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Where a virtio-blk disk's bytes live. Transfers go straight between guest memory and the backing. */
sealed interface BlockBacking extends AutoCloseable {

    long size();

    void read(long position, MemorySegment into) throws IOException;

    void write(long position, MemorySegment from) throws IOException;

    void flush() throws IOException;

    @Override
    void close();

    /** A raw image file, read and written with positional FileChannel I/O through direct buffers over guest memory. */
    final class ImageFile implements BlockBacking {
        /** ByteBuffers are int-indexed: larger guest pieces go in slices of this size. */
        private static final long SLICE = 1L << 30;
        private final FileChannel channel;
        private final long size;
        private final Path path;

        ImageFile(Path path, boolean readOnly) {
            this.path = path;
            try {
                this.channel = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                        : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                this.size = channel.size();
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                throw new VirtioException("cannot open disk image " + path + (readOnly ? " for reading" :
                        " for reading and writing") + ": " + e, e);
            }
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void read(long position, MemorySegment into) throws IOException {
            for (long done = 0; done < into.byteSize(); done += SLICE) {
                ByteBuffer buffer = into.asSlice(done, Math.min(SLICE, into.byteSize() - done)).asByteBuffer();
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, position + done + buffer.position()) < 0) {
                        throw new EOFException(path + " ended at " + (position + done + buffer.position()));
                    }
                }
            }
        }

        @Override
        public void write(long position, MemorySegment from) throws IOException {
            for (long done = 0; done < from.byteSize(); done += SLICE) {
                ByteBuffer buffer = from.asSlice(done, Math.min(SLICE, from.byteSize() - done)).asByteBuffer();
                while (buffer.hasRemaining()) {
                    channel.write(buffer, position + done + buffer.position());
                }
            }
        }

        @Override
        public void flush() throws IOException {
            channel.force(false);
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing was pending that force() had not written; a close error leaves nothing to do
            }
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    /** A disk in host memory, freed on close. */
    final class Ram implements BlockBacking {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment disk;

        Ram(long bytes) {
            this.disk = arena.allocate(bytes, 4096);
        }

        @Override
        public long size() {
            return disk.byteSize();
        }

        @Override
        public void read(long position, MemorySegment into) {
            MemorySegment.copy(disk, position, into, 0, into.byteSize());
        }

        @Override
        public void write(long position, MemorySegment from) {
            MemorySegment.copy(from, 0, disk, position, from.byteSize());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            try {
                arena.close();
            } catch (IllegalStateException e) {
                // already closed
            }
        }

        @Override
        public String toString() {
            return "RAM disk of " + disk.byteSize() + " bytes";
        }
    }
}
