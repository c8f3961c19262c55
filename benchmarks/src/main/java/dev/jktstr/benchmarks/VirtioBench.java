package dev.jktstr.benchmarks;

import static dev.jktstr.bindings.virtio.VirtioH.*;

import dev.jktstr.machine.GuestMemory;
import dev.jktstr.virtio.ConsolePort;
import dev.jktstr.virtio.Doorbell;
import dev.jktstr.virtio.VirtioBlock;
import dev.jktstr.virtio.VirtioConsole;
import dev.jktstr.virtio.VirtioDevice;
import dev.jktstr.virtio.VirtioMmioDevice;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * In-process throughput of the pure-Java virtio devices, each next to a peer measured in the same
 * run: the benchmark thread plays the guest driver over guest memory in an {@link Arena} (split rings
 * written by hand, interrupts as a semaphore), the device runs on its own worker thread as in the
 * VMM, and a host thread sits on the other end of the console port.
 *
 * <ul>
 *   <li>console port 1, 1 MiB per operation, guest → host and host → guest (32 KiB transmit buffers,
 *   4 KiB receive buffers, as Linux uses them); peer: the same bytes through a {@link Pipe} between
 *   two threads.
 *   <li>virtio-blk sequential 4 MiB per operation in 64 KiB requests, up to 32 in flight, read and
 *   write, on a RAM disk (peer: {@link MemorySegment#copy} of the same sizes) and on a temp file (peer:
 *   positional {@link FileChannel} reads/writes of the same sizes into direct buffers).
 * </ul>
 *
 * <p>{@link #main} runs JMH and prints MB/s and the ratios device / peer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VirtioBench {

    static final int MIB = 1 << 20;
    static final int CONSOLE_BYTES = MIB;
    static final int DISK_BYTES = 4 * MIB;
    static final int REQUEST = 64 * 1024;
    static final int FILE_SIZE = 16 * MIB;

    // ------------------------------------------------------------ a minimal guest driver

    /** Guest RAM: one range at guest-physical 0, and a bump allocator. */
    static final class Ram implements AutoCloseable {
        final Arena arena = Arena.ofShared();
        final MemorySegment segment;
        final GuestMemory memory;
        long next = 0x1000;

        Ram(long size) {
            segment = arena.allocate(size, 4096);
            memory = GuestMemory.of(List.of(new GuestMemory.Mapping(0, segment)));
        }

        long alloc(long size) {
            long at = (next + 4095) & ~4095L;
            next = at + size;
            return at;
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The driver side of a device: registers, and split rings whose chains all have the same length. */
    static final class Driver implements AutoCloseable {
        final Ram ram;
        final VirtioMmioDevice device;
        final Semaphore interrupts = new Semaphore(0);

        Driver(Ram ram, String name, VirtioDevice dev, long features) {
            this.ram = ram;
            this.device = new VirtioMmioDevice(name, dev, ram.memory, interrupts::release, Doorbell.inMemory());
            reg(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
            reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
            reg(VIRTIO_MMIO_DRIVER_FEATURES, (int) features);
            reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
            reg(VIRTIO_MMIO_DRIVER_FEATURES, (int) (features >>> 32));
            reg(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
            if ((device.read(VIRTIO_MMIO_STATUS, 4) & VIRTIO_CONFIG_S_FEATURES_OK) == 0) {
                throw new IllegalStateException("features refused");
            }
        }

        void reg(int offset, int value) {
            device.write(offset, 4, Integer.toUnsignedLong(value));
        }

        void driverOk() {
            reg(VIRTIO_MMIO_STATUS, (int) device.read(VIRTIO_MMIO_STATUS, 4) | VIRTIO_CONFIG_S_DRIVER_OK);
            device.start();
        }

        /** Waits for an interrupt (or 1 ms, then the caller polls the used ring anyway). */
        void await() throws InterruptedException {
            interrupts.tryAcquire(1, TimeUnit.MILLISECONDS);
            interrupts.drainPermits();
            device.write(VIRTIO_MMIO_INTERRUPT_ACK, 4, device.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4));
        }

        @Override
        public void close() {
            device.close();
        }
    }

    /** A split ring of {@code slots} chains of {@code perChain} descriptors each; slot s uses descriptors from s * perChain. */
    static final class Ring {
        final Driver driver;
        final int index;
        final int size;
        final int perChain;
        final MemorySegment desc;
        final MemorySegment avail;
        final MemorySegment used;
        final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
        int availIdx;
        int usedSeen;

        Ring(Driver driver, int index, int size, int perChain) {
            this.driver = driver;
            this.index = index;
            this.size = size;
            this.perChain = perChain;
            Ram ram = driver.ram;
            long d = ram.alloc(16L * size);
            long a = ram.alloc(6 + 2L * size);
            long u = ram.alloc(6 + 8L * size);
            desc = ram.memory.segment(d, 16L * size);
            avail = ram.memory.segment(a, 6 + 2L * size);
            used = ram.memory.segment(u, 6 + 8L * size);
            driver.reg(VIRTIO_MMIO_QUEUE_SEL, index);
            driver.reg(VIRTIO_MMIO_QUEUE_NUM, size);
            driver.reg(VIRTIO_MMIO_QUEUE_DESC_LOW, (int) d);
            driver.reg(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (int) a);
            driver.reg(VIRTIO_MMIO_QUEUE_USED_LOW, (int) u);
            driver.reg(VIRTIO_MMIO_QUEUE_READY, 1);
            for (int s = 0; s < size / perChain; s++) {
                freeSlots.add(s);
            }
        }

        /** Publishes slot {@code slot}'s chain: (address, length, device-writable) per descriptor. */
        void post(int slot, long[] addr, int[] len, boolean[] writable) {
            int first = slot * perChain;
            for (int i = 0; i < perChain; i++) {
                long at = 16L * (first + i);
                boolean last = i == perChain - 1;
                desc.set(U64, at, addr[i]);
                desc.set(U32, at + 8, len[i]);
                desc.set(U16, at + 12, (short) ((writable[i] ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT)));
                desc.set(U16, at + 14, (short) (first + i + 1));
            }
            avail.set(U16, 4 + 2L * (availIdx % size), (short) first);
            availIdx = (availIdx + 1) & 0xffff;
            java.lang.invoke.VarHandle.releaseFence();
            avail.set(U16, 2, (short) availIdx);
        }

        void kick() {
            driver.reg(VIRTIO_MMIO_QUEUE_NOTIFY, index);
        }

        /** Slots whose chains came back since the last call, with the bytes written, into {@code out}. */
        int reap(int[] slots, int[] lens) {
            int usedIdx = Short.toUnsignedInt(used.get(U16, 2));
            java.lang.invoke.VarHandle.acquireFence();
            int n = 0;
            while (usedSeen != usedIdx) {
                long at = 4 + 8L * (usedSeen % size);
                int slot = used.get(U32, at) / perChain;
                slots[n] = slot;
                lens[n] = used.get(U32, at + 4);
                freeSlots.add(slot);
                n++;
                usedSeen = (usedSeen + 1) & 0xffff;
            }
            return n;
        }
    }

    // ------------------------------------------------------------ console

    private Ram consoleRam;
    private Driver console;
    private VirtioConsole consoleDevice;
    private Ring portRx;
    private Ring portTx;
    private long txBuffers;
    private long rxBuffers;
    private Thread hostReader;
    private Thread hostWriter;
    private final AtomicLong hostReceived = new AtomicLong();
    private volatile boolean stop;
    private static final int TX_CHUNK = 32 * 1024;
    private static final int RX_CHUNK = 4096;

    private Pipe pipe;
    private Thread pipeReader;
    private final AtomicLong pipeReceived = new AtomicLong();
    private final ByteBuffer pipeChunk = ByteBuffer.allocateDirect(TX_CHUNK);

    @Setup(Level.Trial)
    public void setUpConsole() throws Exception {
        consoleRam = new Ram(64L * MIB);
        consoleDevice = VirtioConsole.withNamedPorts(List.of("jktstr.ctl"));
        console = new Driver(consoleRam, "bench-console", consoleDevice,
                (1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_CONSOLE_F_MULTIPORT));
        Ring[] rings = new Ring[6];
        for (int q = 0; q < 6; q++) {
            rings[q] = new Ring(console, q, 256, 1);
        }
        console.driverOk();
        Ring controlRx = rings[2];
        Ring controlTx = rings[3];
        long control = consoleRam.alloc(64L * 4096);
        for (int s = 0; s < 64; s++) {
            controlRx.freeSlots.poll();
            controlRx.post(s, new long[] {control + 4096L * s}, new int[] {4096}, new boolean[] {true});
        }
        controlRx.kick();
        long messages = consoleRam.alloc(4096);
        int sent = 0;
        // DEVICE_READY, then PORT_READY for both ports, then the guest opens port 1.
        long[][] handshake = {{VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1}, {0, VIRTIO_CONSOLE_PORT_READY, 1},
                {1, VIRTIO_CONSOLE_PORT_READY, 1}, {1, VIRTIO_CONSOLE_PORT_OPEN, 1}};
        for (long[] m : handshake) {
            long at = messages + 8L * sent++;
            MemorySegment s = consoleRam.memory.segment(at, 8);
            s.set(U32, 0, (int) m[0]);
            s.set(U16, 4, (short) m[1]);
            s.set(U16, 6, (short) m[2]);
            int slot = controlTx.freeSlots.poll();
            controlTx.post(slot, new long[] {at}, new int[] {8}, new boolean[] {false});
            controlTx.kick();
            Thread.sleep(20);
            controlTx.reap(new int[256], new int[256]);
        }
        ConsolePort port = consoleDevice.port("jktstr.ctl");
        for (int i = 0; i < 1000 && !port.guestOpen(); i++) {
            Thread.sleep(5);
        }
        if (!port.guestOpen()) {
            throw new IllegalStateException("console handshake did not open port 1: " + console.device.failure());
        }
        portRx = rings[4];
        portTx = rings[5];
        txBuffers = consoleRam.alloc(256L * TX_CHUNK);
        rxBuffers = consoleRam.alloc(256L * RX_CHUNK);
        byte[] pattern = new byte[256 * TX_CHUNK];
        new java.util.Random(1).nextBytes(pattern);
        consoleRam.memory.writeBytes(txBuffers, pattern);
        InputStream in = port.fromGuest();
        hostReader = Thread.ofPlatform().daemon().name("bench-host-reader").start(() -> {
            byte[] b = new byte[64 * 1024];
            try {
                int n;
                while ((n = in.read(b)) >= 0) {
                    hostReceived.addAndGet(n);
                }
            } catch (IOException e) {
                // closed
            }
        });
        OutputStream out = port.toGuest();
        hostWriter = Thread.ofPlatform().daemon().name("bench-host-writer").start(() -> {
            byte[] b = new byte[64 * 1024];
            try {
                while (!stop) {
                    out.write(b);
                }
            } catch (IOException e) {
                // closed
            }
        });

        pipe = Pipe.open();
        pipeReader = Thread.ofPlatform().daemon().name("bench-pipe-reader").start(() -> {
            ByteBuffer b = ByteBuffer.allocateDirect(64 * 1024);
            try {
                int n;
                while ((n = pipe.source().read(b.clear())) >= 0) {
                    pipeReceived.addAndGet(n);
                }
            } catch (IOException e) {
                // closed
            }
        });
    }

    @TearDown(Level.Trial)
    public void tearDownConsole() throws Exception {
        stop = true;
        console.close();
        consoleRam.close();
        pipe.sink().close();
        pipe.source().close();
        hostReader.join(5000);
        hostWriter.join(5000);
        pipeReader.join(5000);
    }

    /** The guest writes 1 MiB to port 1 in 32 KiB buffers; done when the host reader has it all. */
    @Benchmark
    public long consoleGuestToHost() throws InterruptedException {
        long target = hostReceived.get() + CONSOLE_BYTES;
        int[] slots = new int[256];
        int[] lens = new int[256];
        int sent = 0;
        while (sent < CONSOLE_BYTES) {
            boolean posted = false;
            while (sent < CONSOLE_BYTES && !portTx.freeSlots.isEmpty()) {
                int slot = portTx.freeSlots.poll();
                int n = Math.min(TX_CHUNK, CONSOLE_BYTES - sent);
                portTx.post(slot, new long[] {txBuffers + (long) slot * TX_CHUNK}, new int[] {n}, new boolean[] {false});
                sent += n;
                posted = true;
            }
            if (posted) {
                portTx.kick();
            }
            if (portTx.reap(slots, lens) == 0) {
                console.await();
            }
        }
        while (hostReceived.get() < target) {
            console.await();
            portTx.reap(slots, lens);
        }
        return hostReceived.get();
    }

    /** The host writer streams bytes; the guest receives 1 MiB through 4 KiB receive buffers. */
    @Benchmark
    public long consoleHostToGuest() throws InterruptedException {
        int[] slots = new int[256];
        int[] lens = new int[256];
        long received = 0;
        while (received < CONSOLE_BYTES) {
            boolean posted = false;
            while (!portRx.freeSlots.isEmpty()) {
                int slot = portRx.freeSlots.poll();
                portRx.post(slot, new long[] {rxBuffers + (long) slot * RX_CHUNK}, new int[] {RX_CHUNK},
                        new boolean[] {true});
                posted = true;
            }
            if (posted) {
                portRx.kick();
            }
            int n = portRx.reap(slots, lens);
            for (int i = 0; i < n; i++) {
                received += lens[i];
            }
            if (n == 0) {
                console.await();
            }
        }
        return received;
    }

    /** Peer: 1 MiB through an OS pipe to a reader thread, in 32 KiB writes. */
    @Benchmark
    public long pipePeer() throws IOException {
        long target = pipeReceived.get() + CONSOLE_BYTES;
        for (int sent = 0; sent < CONSOLE_BYTES; sent += TX_CHUNK) {
            pipeChunk.clear();
            while (pipeChunk.hasRemaining()) {
                pipe.sink().write(pipeChunk);
            }
        }
        while (pipeReceived.get() < target) {
            Thread.onSpinWait();
        }
        return pipeReceived.get();
    }

    // ------------------------------------------------------------ blk

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

    // ------------------------------------------------------------ runner

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder().include(VirtioBench.class.getName() + "\\.")
                .build()).run();
        double consoleOut = mbps(results, "consoleGuestToHost", CONSOLE_BYTES);
        double consoleIn = mbps(results, "consoleHostToGuest", CONSOLE_BYTES);
        double pipeMbps = mbps(results, "pipePeer", CONSOLE_BYTES);
        System.out.printf("console port 1 guest -> host %.0f MB/s, host -> guest %.0f MB/s; pipe between threads %.0f"
                + " MB/s; ratios %.2f and %.2f%n", consoleOut, consoleIn, pipeMbps, consoleOut / pipeMbps,
                consoleIn / pipeMbps);
        for (String[] pair : new String[][] {{"blkRamRead", "ramCopyReadPeer"}, {"blkRamWrite", "ramCopyWritePeer"},
                {"blkFileRead", "fileChannelReadPeer"}, {"blkFileWrite", "fileChannelWritePeer"}}) {
            double device = mbps(results, pair[0], DISK_BYTES);
            double peer = mbps(results, pair[1], DISK_BYTES);
            System.out.printf("virtio-blk %-12s %7.0f MB/s; %-20s %7.0f MB/s; ratio %.2f%n", pair[0], device, pair[1],
                    peer, device / peer);
        }
    }

    private static double mbps(Collection<RunResult> results, String method, int bytesPerOp) {
        double opsPerSecond = results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method))
                .findFirst().orElseThrow(() -> new IllegalStateException("no result for " + method))
                .getPrimaryResult().getScore();
        return opsPerSecond * bytesPerOp / 1e6;
    }
}
