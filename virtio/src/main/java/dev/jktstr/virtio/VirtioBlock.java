package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_F_FLUSH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_F_RO;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_F_SEG_MAX;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_ID_BYTES;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_S_IOERR;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_S_OK;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_S_UNSUPP;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_T_FLUSH;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_T_GET_ID;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_T_IN;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_BLK_T_OUT;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_ID_BLOCK;

import dev.jktstr.bindings.virtio.VirtioBlkConfig;
import dev.jktstr.bindings.virtio.VirtioBlkOuthdr;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * virtio-blk (virtio 1.2 §5.2) over a raw image file or a RAM disk: IN, OUT, FLUSH and GET_ID, one
 * request queue. Read-only disks offer VIRTIO_BLK_F_RO and answer OUT with IOERR and FLUSH with
 * UNSUPP (FLUSH is not offered to them). Optional throttles (bytes/s, requests/s) are token buckets
 * that delay the device worker, never a vCPU.
 */
public final class VirtioBlock implements VirtioDevice {

    /** Bytes per sector, the unit of the request header's sector and of capacity. */
    public static final int SECTOR_SIZE = 512;
    static final int QUEUE_SIZE = 256;
    private static final int HEADER = (int) VirtioBlkOuthdr.LAYOUT.byteSize();
    private static final Logger LOG = LoggerFactory.getLogger(VirtioBlock.class);

    private final BlockBacking backing;
    private final boolean readOnly;
    private final long capacitySectors;
    private final byte[] id;
    private final TokenBucket byteBucket;
    private final TokenBucket requestBucket;
    private final MemorySegment config;
    private final Engine engine = new Engine();
    private volatile boolean closed;

    // Accounting, written by the worker only.
    private volatile long requests;
    private volatile long bytesRead;
    private volatile long bytesWritten;
    private volatile long errors;

    private VirtioBlock(BlockBacking backing, boolean readOnly, byte[] id, TokenBucket byteBucket,
            TokenBucket requestBucket) {
        this.backing = backing;
        this.readOnly = readOnly;
        this.capacitySectors = backing.size() / SECTOR_SIZE;
        this.id = id;
        this.byteBucket = byteBucket;
        this.requestBucket = requestBucket;
        this.config = MemorySegment.ofArray(new byte[(int) VirtioBlkConfig.LAYOUT.byteSize()]);
        config.set(Virtqueue.U64, VirtioBlkConfig.capacity$OFFSET, capacitySectors);
        config.set(Virtqueue.U32, VirtioBlkConfig.seg_max$OFFSET, QUEUE_SIZE - 2);
    }

    /** A disk backed by the raw image at {@code rawImage}; its size must be a multiple of 512. */
    public static Builder file(Path rawImage) {
        return new Builder(Objects.requireNonNull(rawImage, "rawImage"), 0);
    }

    /** A disk of {@code bytes} bytes (a multiple of 512) in host memory, zero-filled. */
    public static Builder ram(long bytes) {
        if (bytes <= 0 || bytes % SECTOR_SIZE != 0) {
            throw new VirtioException("a RAM disk needs a positive multiple of " + SECTOR_SIZE + " bytes, not " + bytes);
        }
        return new Builder(null, bytes);
    }

    public static final class Builder {
        private final Path file;
        private final long ramBytes;
        private boolean readOnly;
        private byte[] id = new byte[0];
        private long bytesPerSecond;
        private long iops;
        private LongSupplier nanoTime = System::nanoTime;

        private Builder(Path file, long ramBytes) {
            this.file = file;
            this.ramBytes = ramBytes;
        }

        /** Read-only: VIRTIO_BLK_F_RO is offered and writes fail with IOERR. */
        public Builder readOnly(boolean ro) {
            this.readOnly = ro;
            return this;
        }

        /** The serial number GET_ID returns (Linux: /sys/block/vdX/serial); at most 20 bytes of UTF-8. */
        public Builder id(String serial) {
            byte[] bytes = Objects.requireNonNull(serial, "serial").getBytes(StandardCharsets.UTF_8);
            if (bytes.length > VIRTIO_BLK_ID_BYTES) {
                throw new VirtioException("virtio-blk id '" + serial + "' is " + bytes.length + " bytes; at most "
                        + VIRTIO_BLK_ID_BYTES + " fit");
            }
            this.id = bytes;
            return this;
        }

        /** Limits transfers to {@code limit} bytes per second (0: unlimited). */
        public Builder bytesPerSecond(long limit) {
            this.bytesPerSecond = nonNegative(limit, "bytes per second");
            return this;
        }

        /** Limits requests to {@code limit} per second (0: unlimited). */
        public Builder iops(long limit) {
            this.iops = nonNegative(limit, "requests per second");
            return this;
        }

        /** The clock the throttles read (tests). */
        Builder clock(LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime);
            return this;
        }

        private static long nonNegative(long limit, String what) {
            if (limit < 0) {
                throw new VirtioException("virtio-blk limit of " + limit + " " + what + " is negative");
            }
            return limit;
        }

        /** Opens the image (or allocates the RAM disk); throws {@link VirtioException} if that fails. */
        public VirtioBlock build() {
            BlockBacking backing;
            if (file != null) {
                backing = new BlockBacking.ImageFile(file, readOnly);
                if (backing.size() % SECTOR_SIZE != 0) {
                    long size = backing.size();
                    backing.close();
                    throw new VirtioException("disk image " + file + " is " + size + " bytes, not a multiple of "
                            + SECTOR_SIZE);
                }
            } else {
                try {
                    backing = new BlockBacking.Ram(ramBytes);
                } catch (OutOfMemoryError | IllegalArgumentException e) {
                    throw new VirtioException("cannot allocate a RAM disk of " + ramBytes + " bytes: " + e, e);
                }
            }
            return new VirtioBlock(backing, readOnly, Arrays.copyOf(id, VIRTIO_BLK_ID_BYTES),
                    bytesPerSecond > 0 ? new TokenBucket(bytesPerSecond, nanoTime) : null,
                    iops > 0 ? new TokenBucket(iops, nanoTime) : null);
        }
    }

    public long capacitySectors() {
        return capacitySectors;
    }

    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public int deviceId() {
        return VIRTIO_ID_BLOCK;
    }

    @Override
    public long deviceFeatures() {
        long features = 1L << VIRTIO_BLK_F_SEG_MAX;
        return readOnly ? features | (1L << VIRTIO_BLK_F_RO) : features | (1L << VIRTIO_BLK_F_FLUSH);
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int queueMaxSize(int queue) {
        return queue == 0 ? QUEUE_SIZE : 0;
    }

    @Override
    public MemorySegment configSpace() {
        return config.asReadOnly();
    }

    @Override
    public void close() {
        closed = true;
        backing.close();
    }

    DeviceEngine engine() {
        return engine;
    }

    long requests() {
        return requests;
    }

    long bytesRead() {
        return bytesRead;
    }

    long bytesWritten() {
        return bytesWritten;
    }

    long errors() {
        return errors;
    }

    TokenBucket byteBucket() {
        return byteBucket;
    }

    TokenBucket requestBucket() {
        return requestBucket;
    }

    @Override
    public String toString() {
        return "virtio-blk " + backing + (readOnly ? " (read-only)" : "");
    }

    private final class Engine implements DeviceEngine {

        @Override
        public void attach(Runnable wake) {
            // the disk has no host-side events
        }

        @Override
        public void activate(long features) {
        }

        @Override
        public void reset() {
        }

        @Override
        public void failed(String reason) {
        }

        @Override
        public long process(Queues queues) {
            Virtqueue queue = queues.queue(0);
            if (queue == null || closed) {
                return 0;
            }
            while (!queues.yieldRequested() && !queue.isEmpty()) {
                long wait = Math.max(delay(byteBucket), delay(requestBucket));
                if (wait > 0) {
                    return wait;
                }
                DescriptorChain chain = queue.pop();
                if (chain == null) {
                    return 0;
                }
                serve(queue, chain);
            }
            return 0;
        }

        private static long delay(TokenBucket bucket) {
            return bucket == null ? 0 : bucket.delayNanos();
        }

        private void serve(Virtqueue queue, DescriptorChain chain) {
            if (chain.readableLength() < HEADER) {
                throw queue.violation("request at head %d has %d device-readable bytes, less than its %d-byte header",
                        chain.head, chain.readableLength(), HEADER);
            }
            if (chain.writableLength() < 1) {
                throw queue.violation("request at head %d has no device-writable status byte", chain.head);
            }
            MemorySegment header = MemorySegment.ofArray(chain.read(0, HEADER));
            long type = Integer.toUnsignedLong(header.get(Virtqueue.U32, VirtioBlkOuthdr.type$OFFSET));
            long sector = header.get(Virtqueue.U64, VirtioBlkOuthdr.sector$OFFSET);
            long dataOut = chain.readableLength() - HEADER;
            long dataIn = chain.writableLength() - 1;
            int status;
            long written = 0;
            long transferred = 0;
            if (type == VIRTIO_BLK_T_IN) {
                if (dataOut != 0) {
                    throw queue.violation("IN request at head %d puts %d data bytes in device-readable buffers",
                            chain.head, dataOut);
                }
                status = transfer(chain, true, sector, dataIn);
                if (status == VIRTIO_BLK_S_OK) {
                    written = dataIn;
                    bytesRead += dataIn;
                }
                transferred = dataIn;
            } else if (type == VIRTIO_BLK_T_OUT) {
                if (dataIn != 0) {
                    throw queue.violation("OUT request at head %d has %d device-writable bytes besides its status",
                            chain.head, dataIn);
                }
                status = readOnly ? VIRTIO_BLK_S_IOERR : transfer(chain, false, sector, dataOut);
                if (status == VIRTIO_BLK_S_OK) {
                    bytesWritten += dataOut;
                }
                transferred = dataOut;
            } else if (type == VIRTIO_BLK_T_FLUSH) {
                status = readOnly ? VIRTIO_BLK_S_UNSUPP : flush();
            } else if (type == VIRTIO_BLK_T_GET_ID) {
                int n = (int) Math.min(dataIn, VIRTIO_BLK_ID_BYTES);
                chain.write(0, Arrays.copyOf(id, n));
                written = n;
                status = VIRTIO_BLK_S_OK;
            } else {
                status = VIRTIO_BLK_S_UNSUPP;
            }
            if (status != VIRTIO_BLK_S_OK) {
                errors++;
            }
            chain.write(dataIn, new byte[] {(byte) status});
            queue.push(chain, written + 1);
            requests++;
            if (byteBucket != null) {
                byteBucket.charge(transferred);
            }
            if (requestBucket != null) {
                requestBucket.charge(1);
            }
        }

        /** Moves {@code bytes} at {@code sector} between the disk and the chain; IOERR when out of range or failing. */
        private int transfer(DescriptorChain chain, boolean toGuest, long sector, long bytes) {
            if (bytes % SECTOR_SIZE != 0 || sector < 0 || sector > capacitySectors
                    || bytes / SECTOR_SIZE > capacitySectors - sector) {
                return VIRTIO_BLK_S_IOERR;
            }
            long[] position = {sector * SECTOR_SIZE};
            try {
                chain.visit(toGuest, toGuest ? 0 : HEADER, bytes, piece -> {
                    if (toGuest) {
                        backing.read(position[0], piece);
                    } else {
                        backing.write(position[0], piece);
                    }
                    position[0] += piece.byteSize();
                });
                return VIRTIO_BLK_S_OK;
            } catch (IOException | IllegalStateException e) {
                // IllegalStateException: the backing was closed under us (the device is closing)
                LOG.debug("virtio-blk {}: {} failed at byte {}: {}", backing, toGuest ? "read" : "write", position[0],
                        e.toString());
                return VIRTIO_BLK_S_IOERR;
            }
        }

        private int flush() {
            try {
                backing.flush();
                return VIRTIO_BLK_S_OK;
            } catch (IOException e) {
                LOG.debug("virtio-blk {}: flush failed: {}", backing, e.toString());
                return VIRTIO_BLK_S_IOERR;
            }
        }
    }
}
