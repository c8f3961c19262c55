package dev.jktstr.benchmarks;

import static dev.jktstr.benchmarks.VirtioBenchGuest.MIB;
import static dev.jktstr.benchmarks.VirtioBenchGuest.U16;
import static dev.jktstr.benchmarks.VirtioBenchGuest.U32;
import static dev.jktstr.bindings.virtio.VirtioH.*;

import dev.jktstr.benchmarks.VirtioBenchGuest.Driver;
import dev.jktstr.benchmarks.VirtioBenchGuest.Ram;
import dev.jktstr.benchmarks.VirtioBenchGuest.Ring;
import dev.jktstr.virtio.ConsolePort;
import dev.jktstr.virtio.VirtioConsole;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.List;
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

/**
 * virtio-console port 1, 1 MiB per operation, guest → host and host → guest (32 KiB transmit
 * buffers, 4 KiB receive buffers, as Linux uses them), with a host thread on the other end of the
 * port; peer: the same bytes through a {@link Pipe} between two threads. Run by {@link VirtioBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VirtioConsoleBench {

    static final int CONSOLE_BYTES = MIB;

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
}
