package dev.jktstr.benchmarks;

import static dev.jktstr.benchmarks.VirtioBenchGuest.MIB;
import static dev.jktstr.benchmarks.VirtioBenchGuest.U32;
import static dev.jktstr.benchmarks.VirtioBenchGuest.U64;
import static dev.jktstr.bindings.virtio.VirtioH.*;

import dev.jktstr.benchmarks.VirtioBenchGuest.Driver;
import dev.jktstr.benchmarks.VirtioBenchGuest.Ram;
import dev.jktstr.benchmarks.VirtioBenchGuest.Ring;
import dev.jktstr.virtio.VirtioBlock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * virtio-blk sequential 4 MiB per operation in 64 KiB requests, up to 32 in flight, read and write,
 * on a RAM disk (peer: {@link MemorySegment#copy} of the same sizes) and on a temp file (peer:
 * positional {@link FileChannel} reads/writes of the same sizes into direct buffers). Run by
 * {@link VirtioBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VirtioBlkBench {

    static final int DISK_BYTES = 4 * MIB;
    static final int REQUEST = 64 * 1024;
    static final int FILE_SIZE = 16 * MIB;

    /** One disk and its driver; the benchmark methods pick one of two instances by name. */
    @State(Scope.Benchmark)
    public static class Disks {
        Ram ram;
        Driver ramDisk;
        Driver fileDisk;
        Ring ramRing;
        Ring fileRing;
        long headers;
        long data;
        long statuses;
        Path image;
        FileChannel peerChannel;
        Arena peerArena;
        MemorySegment peerRam;
        MemorySegment peerBuffer;
        long position;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            ram = new Ram(64L * MIB);
            long features = 1L << VIRTIO_F_VERSION_1;
            ramDisk = new Driver(ram, "bench-ram", VirtioBlock.ram(FILE_SIZE).build(), features);
            ramRing = new Ring(ramDisk, 0, 128, 3);
            ramDisk.driverOk();
            image = Files.createTempFile("jktstr-virtio-bench", ".img");
            try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(FILE_SIZE));
            }
            fileDisk = new Driver(ram, "bench-file", VirtioBlock.file(image).build(), features);
            fileRing = new Ring(fileDisk, 0, 128, 3);
            fileDisk.driverOk();
            headers = ram.alloc(16L * 128);
            statuses = ram.alloc(128);
            data = ram.alloc(32L * REQUEST);
            ram.memory.segment(data, 32L * REQUEST).fill((byte) 0x5a);
            peerChannel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
            peerArena = Arena.ofShared();
            peerRam = peerArena.allocate(FILE_SIZE, 4096);
            peerBuffer = peerArena.allocate(32L * REQUEST, 4096);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            ramDisk.close();
            fileDisk.close();
            ram.close();
            peerChannel.close();
            peerArena.close();
            Files.deleteIfExists(image);
        }

        /** The next 4 MiB window of the disk, cycling. */
        long nextWindow() {
            long at = position;
            position = (position + DISK_BYTES) % FILE_SIZE;
            return at;
        }

        /** 4 MiB in 64 KiB requests, up to 32 in flight. */
        long transfer(Driver driver, Ring ring, boolean read) throws InterruptedException {
            long base = nextWindow() / 512;
            int requests = DISK_BYTES / REQUEST;
            int submitted = 0;
            int completed = 0;
            int[] slots = new int[128];
            int[] lens = new int[128];
            while (completed < requests) {
                boolean posted = false;
                while (submitted < requests && ring.freeSlots.size() > 10) {
                    int slot = ring.freeSlots.poll();
                    long header = headers + 16L * slot;
                    MemorySegment h = ram.memory.segment(header, 16);
                    h.set(U32, 0, read ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT);
                    h.set(U64, 8, base + (long) submitted * REQUEST / 512);
                    ring.post(slot, new long[] {header, data + (long) (slot % 32) * REQUEST, statuses + slot},
                            new int[] {16, REQUEST, 1}, new boolean[] {false, read, true});
                    submitted++;
                    posted = true;
                }
                if (posted) {
                    ring.kick();
                }
                int n = ring.reap(slots, lens);
                for (int i = 0; i < n; i++) {
                    if (ram.segment.get(ValueLayout.JAVA_BYTE, statuses + slots[i]) != VIRTIO_BLK_S_OK) {
                        throw new IllegalStateException("request failed: " + driver.device.failure());
                    }
                }
                completed += n;
                if (n == 0) {
                    driver.await();
                }
            }
            return completed;
        }
    }

    @Benchmark
    public long blkRamRead(Disks d) throws InterruptedException {
        return d.transfer(d.ramDisk, d.ramRing, true);
    }

    @Benchmark
    public long blkRamWrite(Disks d) throws InterruptedException {
        return d.transfer(d.ramDisk, d.ramRing, false);
    }

    @Benchmark
    public long blkFileRead(Disks d) throws InterruptedException {
        return d.transfer(d.fileDisk, d.fileRing, true);
    }

    @Benchmark
    public long blkFileWrite(Disks d) throws InterruptedException {
        return d.transfer(d.fileDisk, d.fileRing, false);
    }

    /** Peer of the RAM disk: the same 64 KiB copies, disk memory to buffer. */
    @Benchmark
    public long ramCopyReadPeer(Disks d) {
        long base = d.nextWindow();
        for (int i = 0; i < DISK_BYTES / REQUEST; i++) {
            MemorySegment.copy(d.peerRam, base + (long) i * REQUEST, d.peerBuffer, (long) (i % 32) * REQUEST, REQUEST);
        }
        return base;
    }

    @Benchmark
    public long ramCopyWritePeer(Disks d) {
        long base = d.nextWindow();
        for (int i = 0; i < DISK_BYTES / REQUEST; i++) {
            MemorySegment.copy(d.peerBuffer, (long) (i % 32) * REQUEST, d.peerRam, base + (long) i * REQUEST, REQUEST);
        }
        return base;
    }

    /** Peer of the file disk: positional FileChannel reads of the same sizes into direct buffers. */
    @Benchmark
    public long fileChannelReadPeer(Disks d) throws IOException {
        long base = d.nextWindow();
        for (int i = 0; i < DISK_BYTES / REQUEST; i++) {
            ByteBuffer b = d.peerBuffer.asSlice((long) (i % 32) * REQUEST, REQUEST).asByteBuffer();
            while (b.hasRemaining()) {
                d.peerChannel.read(b, base + (long) i * REQUEST + b.position());
            }
        }
        return base;
    }

    @Benchmark
    public long fileChannelWritePeer(Disks d) throws IOException {
        long base = d.nextWindow();
        for (int i = 0; i < DISK_BYTES / REQUEST; i++) {
            ByteBuffer b = d.peerBuffer.asSlice((long) (i % 32) * REQUEST, REQUEST).asByteBuffer();
            while (b.hasRemaining()) {
                d.peerChannel.write(b, base + (long) i * REQUEST + b.position());
            }
        }
        return base;
    }
}
