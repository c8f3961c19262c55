package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.virtio.ConsoleGuest.Control;
import dev.jktstr.virtio.TestDriver.Buf;
import dev.jktstr.virtio.TestDriver.GuestQueue;
import dev.jktstr.virtio.TestDriver.Used;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class ConsoleTest {

    private FakeGuest guest;

    @BeforeEach
    void setUp() {
        guest = new FakeGuest();
    }

    @AfterEach
    void tearDown() {
        guest.close();
    }

    private ConsoleGuest console(String... names) {
        return new ConsoleGuest(guest, VirtioConsole.withNamedPorts(List.of(names)), "console");
    }

    @Test
    void multiportHandshakeAsLinuxExpectsIt() {
        ConsoleGuest g = console("jktstr.ctl", "extra").init();
        assertThat(g.console.portCount()).isEqualTo(3);
        assertThat(g.d.device.read(VIRTIO_MMIO_CONFIG + 4, 4)).as("max_nr_ports").isEqualTo(3);
        List<Control> messages = g.handshake();
        assertThat(messages).containsExactly(
                new Control(0, VIRTIO_CONSOLE_PORT_ADD, 1, ""),
                new Control(1, VIRTIO_CONSOLE_PORT_ADD, 1, ""),
                new Control(2, VIRTIO_CONSOLE_PORT_ADD, 1, ""),
                new Control(0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, ""),
                new Control(0, VIRTIO_CONSOLE_PORT_OPEN, 1, ""),
                new Control(1, VIRTIO_CONSOLE_PORT_NAME, 1, "jktstr.ctl"),
                new Control(1, VIRTIO_CONSOLE_PORT_OPEN, 1, ""),
                new Control(2, VIRTIO_CONSOLE_PORT_NAME, 1, "extra"),
                new Control(2, VIRTIO_CONSOLE_PORT_OPEN, 1, ""));
        // The PORT_NAME payload is the name, NUL-terminated, right after the 8-byte header.
        assertThat(g.console.port("jktstr.ctl").guestOpen()).isFalse();
        g.open(1, true);
        g.d.device.processNow();
        assertThat(g.console.port(1).guestOpen()).isTrue();
        assertThat(g.console.port("jktstr.ctl")).isSameAs(g.console.port(1));
        assertThat(g.console.port(0).name()).isEmpty();
        g.open(1, false);
        g.d.device.processNow();
        assertThat(g.console.port(1).guestOpen()).isFalse();
        // A second DEVICE_READY or PORT_READY changes nothing.
        g.sendControl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
        g.sendControl(1, VIRTIO_CONSOLE_PORT_READY, 1);
        g.sendControl(77, VIRTIO_CONSOLE_PORT_OPEN, 1); // unknown port: ignored
        g.d.device.processNow();
        assertThat(g.receiveControl()).isEmpty();
        assertThat(g.d.device.failed()).isFalse();
    }

    @Test
    void controlMessagesWaitForReceiveBuffersAndNoneIsDropped() {
        ConsoleGuest g = new ConsoleGuest(guest, VirtioConsole.withNamedPorts(List.of("a", "b", "c")), "console");
        g.d.negotiateAll();
        for (int q = 0; q < g.console.queueCount(); q++) {
            g.queues[q] = g.d.queue(q, ConsoleGuest.QUEUE_SIZE);
        }
        // ConsoleGuest.init would post 64 control buffers; post one at a time instead.
        g.d.driverOk();
        GuestQueue rx = g.queues[VirtioConsole.CONTROL_RECEIVE];
        g.sendControl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
        g.d.device.processNow();
        // Four PORT_ADDs are pending (console port 0, a, b, c); each buffer posted must carry the next one.
        List<Control> received = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            long at = guest.alloc(4096, 8);
            rx.post(Buf.in(at, 4096));
            rx.kick();
            g.d.device.processNow();
            List<Used> used = rx.reap();
            assertThat(used).as("round " + round).hasSize(1);
            assertThat(used.getFirst().len()).as("a control header").isEqualTo(8);
            MemorySegment m = MemorySegment.ofArray(g.d.bytes(at, 8));
            received.add(new Control(Integer.toUnsignedLong(m.get(Virtqueue.U32, 0)),
                    Short.toUnsignedInt(m.get(Virtqueue.U16, 4)), Short.toUnsignedInt(m.get(Virtqueue.U16, 6)), ""));
        }
        assertThat(received).containsExactly(
                new Control(0, VIRTIO_CONSOLE_PORT_ADD, 1, ""),
                new Control(1, VIRTIO_CONSOLE_PORT_ADD, 1, ""),
                new Control(2, VIRTIO_CONSOLE_PORT_ADD, 1, ""),
                new Control(3, VIRTIO_CONSOLE_PORT_ADD, 1, ""));
        // Nothing more is pending: a fifth buffer stays unused.
        rx.post(Buf.in(guest.alloc(4096, 8), 4096));
        rx.kick();
        g.d.device.processNow();
        assertThat(rx.reap()).isEmpty();
        assertThat(g.d.device.failed()).isFalse();
    }

    @Test
    void tooSmallControlReceiveBufferFailsTheDevice() {
        ConsoleGuest g = console("jktstr.ctl");
        g.d.negotiateAll();
        for (int q = 0; q < g.console.queueCount(); q++) {
            g.queues[q] = g.d.queue(q, ConsoleGuest.QUEUE_SIZE);
        }
        g.d.driverOk();
        g.queues[VirtioConsole.CONTROL_RECEIVE].post(Buf.in(guest.alloc(4, 8), 4));
        g.sendControl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
        g.d.device.processNow();
        assertThat(g.d.device.failure()).get().asString()
                .isEqualTo("queue 2: control receive buffer at head 0 has 4 writable bytes, less than the 8-byte message");
    }

    @Test
    void singlePortConsoleWithoutMultiport() throws IOException {
        ConsoleGuest g = console("jktstr.ctl").init(1L << VIRTIO_F_VERSION_1);
        ConsolePort hvc = g.console.port(0);
        g.transmit(0, "hello hvc0\n".getBytes(StandardCharsets.UTF_8));
        g.tx(0).kick();
        g.d.device.processNow();
        assertThat(g.tx(0).reap()).hasSize(1);
        assertThat(readAvailable(hvc.fromGuest())).isEqualTo("hello hvc0\n");
        hvc.toGuest().write("ls\n".getBytes(StandardCharsets.UTF_8));
        int head = g.postReceive(g.rx(0), 4096);
        g.rx(0).kick();
        g.d.device.processNow();
        List<Used> used = g.rx(0).reap();
        assertThat(used).containsExactly(new Used(head, 3));
        assertThat(new String(g.d.bytes(g.buffer(g.rx(0).index, head), 3), StandardCharsets.UTF_8)).isEqualTo("ls\n");
        assertThat(g.d.interruptCount.get()).isPositive();
    }

    @Test
    void bytesForAPortWaitUntilTheGuestOpensIt() throws IOException {
        ConsoleGuest g = console("jktstr.ctl").init();
        g.handshake();
        ConsolePort ctl = g.console.port("jktstr.ctl");
        ctl.toGuest().write(new byte[] {1, 2, 3});
        int head = g.postReceive(g.rx(1), 4096);
        g.rx(1).kick();
        g.d.device.processNow();
        assertThat(g.rx(1).reap()).as("Linux would discard bytes for a port nobody opened").isEmpty();
        g.open(1, true);
        g.d.device.processNow();
        assertThat(g.rx(1).reap()).containsExactly(new Used(head, 3));
    }

    @Test
    void indirectTransmitBuffers() {
        ConsoleGuest g = console("jktstr.ctl").init();
        g.handshake();
        GuestQueue tx = g.tx(1);
        tx.indirect = true;
        long a = guest.alloc(5, 1);
        long b = FakeGuest.B_BASE + 0x100; // the second RAM range
        g.d.put(a, "hello".getBytes(StandardCharsets.UTF_8));
        g.d.put(b, " world".getBytes(StandardCharsets.UTF_8));
        tx.post(Buf.out(a, 5), Buf.out(b, 6));
        tx.kick();
        g.d.device.processNow();
        assertThat(tx.reap()).hasSize(1);
        assertThat(readAvailable(g.console.port(1).fromGuest())).isEqualTo("hello world");
    }

    /**
     * 1 MiB each way on port 1 with the worker thread running: the host reader starts only once the
     * guest's writes filled the host buffer and is slow after that; the guest posts receive buffers
     * only once the host writer filled the other buffer. Nothing may be lost or reordered.
     */
    @Test
    void oneMebibyteRoundTripOnPort1WithBackpressureBothWays() throws Exception {
        ConsoleGuest g = console("jktstr.ctl").init();
        g.handshake();
        g.open(1, true);
        g.d.device.processNow();
        ConsolePort port = g.console.port(1);
        assertThat(port.guestOpen()).isTrue();
        g.d.device.start();
        try {
            int total = 1 << 20;
            Random random = new Random(42);
            byte[] toGuest = new byte[total];
            byte[] fromGuest = new byte[total];
            random.nextBytes(toGuest);
            random.nextBytes(fromGuest);

            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    Random r = new Random(7);
                    for (int at = 0; at < total; ) {
                        int n = Math.min(total - at, 1 + r.nextInt(20_000));
                        port.toGuest().write(toGuest, at, n);
                        at += n;
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            AtomicReference<byte[]> hostReceived = new AtomicReference<>();
            CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
                try {
                    while (port.fromGuest.deviceStalls() == 0) {
                        Thread.sleep(1); // until the guest's writes have filled the buffer once
                    }
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    byte[] chunk = new byte[3000];
                    int reads = 0;
                    while (got.size() < total) {
                        int n = port.fromGuest().read(chunk);
                        if (n < 0) {
                            break;
                        }
                        got.write(chunk, 0, n);
                        if (++reads % 8 == 0) {
                            Thread.sleep(1); // slower than the guest
                        }
                    }
                    hostReceived.set(got.toByteArray());
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });

            ByteArrayOutputStream guestReceived = new ByteArrayOutputStream();
            int sent = 0;
            boolean receiving = false;
            GuestQueue tx = g.tx(1);
            GuestQueue rx = g.rx(1);
            java.util.Map<Integer, Integer> txPosted = new java.util.HashMap<>();
            while (sent < total || tx.inFlight() > 0 || guestReceived.size() < total) {
                // transmit: chains of up to two descriptors, sizes varying
                boolean kickTx = false;
                while (sent < total && tx.freeDescriptors() >= 2) {
                    int n = Math.min(total - sent, 1 + random.nextInt(ConsoleGuest.BUFFER));
                    int head = tx.nextFree();
                    long at = g.buffer(tx.index, head);
                    g.d.put(at, java.util.Arrays.copyOfRange(fromGuest, sent, sent + n));
                    int split = n / 2;
                    if (split > 0) {
                        tx.post(Buf.out(at, split), Buf.out(at + split, n - split));
                    } else {
                        tx.post(Buf.out(at, n));
                    }
                    txPosted.put(head, n);
                    sent += n;
                    kickTx = true;
                }
                if (kickTx) {
                    tx.kick();
                }
                tx.reap();
                // receive: only once the host writer has filled its buffer (or finished)
                receiving |= port.toGuest.size() == port.toGuest.capacity() || writer.isDone();
                if (receiving) {
                    for (Used u : rx.reap()) {
                        guestReceived.write(g.d.bytes(g.buffer(rx.index, u.head()), u.len()));
                    }
                    boolean kickRx = false;
                    while (rx.freeDescriptors() > 0 && guestReceived.size() < total) {
                        g.postReceive(rx, ConsoleGuest.BUFFER);
                        kickRx = true;
                    }
                    if (kickRx) {
                        rx.kick();
                    }
                }
                g.d.awaitInterrupt(5);
                g.d.ackInterrupts();
                assertThat(g.d.device.failure()).isEmpty();
            }
            writer.get(60, TimeUnit.SECONDS);
            reader.get(60, TimeUnit.SECONDS);
            assertThat(sha256(hostReceived.get())).as("guest -> host").isEqualTo(sha256(fromGuest));
            assertThat(sha256(guestReceived.toByteArray())).as("host -> guest").isEqualTo(sha256(toGuest));
            assertThat(port.fromGuest.deviceStalls()).as("the device waited for the host reader").isPositive();
            assertThat(guest.canariesIntact()).isTrue();
        } finally {
            g.d.device.close();
        }
    }

    @Test
    void closeUnblocksEveryHostStreamAndJoinsTheWorker() throws Exception {
        ConsoleGuest g = new ConsoleGuest(guest, VirtioConsole.withNamedPorts(List.of("jktstr.ctl")), "closing");
        g.init();
        g.d.device.start();
        ConsolePort port = g.console.port(1);
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return port.fromGuest().read();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
            try {
                port.toGuest().write(new byte[ConsolePort.BUFFER_BYTES + 1]); // the guest never opens the port
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        while (port.toGuest.size() < ConsolePort.BUFFER_BYTES) {
            Thread.sleep(1);
        }
        Thread worker = thread("virtio-closing");
        assertThat(worker).isNotNull();
        assertThat(reader).isNotDone();
        assertThat(writer).isNotDone();
        g.d.device.close();
        assertThat(reader.get(30, TimeUnit.SECONDS)).isEqualTo(-1);
        assertThat(writer.get(30, TimeUnit.SECONDS)).isInstanceOf(IOException.class).hasMessageContaining("closed");
        assertThat(worker.isAlive()).isFalse();
        assertThatThrownBy(() -> port.toGuest().write(1)).isInstanceOf(IOException.class);
        g.d.device.close();
    }

    @Test
    void failureFailsBlockedWritersResetAndReinitialisationRecover() throws Exception {
        ConsoleGuest g = console("jktstr.ctl").init();
        g.handshake();
        ConsolePort port = g.console.port(1);
        byte[] early = "survives the reset".getBytes(StandardCharsets.UTF_8);
        port.toGuest().write(early);
        CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
            try {
                port.toGuest().write(new byte[ConsolePort.BUFFER_BYTES]);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        while (port.toGuest.size() < ConsolePort.BUFFER_BYTES) {
            Thread.sleep(1);
        }
        // A malformed control message: 4 bytes.
        GuestQueue ctlTx = g.queues[VirtioConsole.CONTROL_TRANSMIT];
        int bad = ctlTx.post(Buf.out(guest.alloc(4, 4), 4));
        ctlTx.kick();
        g.d.device.processNow();
        String reason = "queue 3: control message at head " + bad + " has 4 bytes, less than its 8-byte header";
        assertThat(g.d.device.failure()).contains(reason);
        assertThat(g.d.device.status() & VIRTIO_CONFIG_S_NEEDS_RESET).isNotZero();
        assertThat(writer.get(30, TimeUnit.SECONDS)).isInstanceOf(IOException.class)
                .hasMessageContaining(reason);
        // Processing stopped: a valid transmit is not taken.
        g.transmit(1, new byte[] {9});
        g.tx(1).kick();
        g.d.device.processNow();
        assertThat(g.tx(1).reap()).isEmpty();

        // The guest resets and starts over; the host streams carry on.
        g.d.write(VIRTIO_MMIO_STATUS, 0);
        assertThat(g.d.device.failed()).isFalse();
        assertThat(port.guestOpen()).isFalse();
        g.init();
        assertThat(g.handshake()).hasSize(6);
        g.open(1, true);
        int head = g.postReceive(g.rx(1), 4096);
        g.rx(1).kick();
        g.d.device.processNow();
        List<Used> used = g.rx(1).reap();
        assertThat(used).hasSize(1);
        assertThat(g.d.bytes(g.buffer(g.rx(1).index, head), used.get(0).len()))
                .startsWith(early);
        g.transmit(1, new byte[] {42});
        g.tx(1).kick();
        g.d.device.processNow();
        assertThat(port.fromGuest().read()).isEqualTo(42);
    }

    @Test
    void portNamesAreValidated() {
        assertThatThrownBy(() -> VirtioConsole.withNamedPorts(List.of("a", "a"))).isInstanceOf(VirtioException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> VirtioConsole.withNamedPorts(List.of(""))).isInstanceOf(VirtioException.class);
        assertThatThrownBy(() -> VirtioConsole.withNamedPorts(List.of("a/b"))).isInstanceOf(VirtioException.class);
        VirtioConsole c = VirtioConsole.withNamedPorts(List.of("jktstr.ctl"));
        assertThatThrownBy(() -> c.port("nope")).isInstanceOf(VirtioException.class)
                .hasMessageContaining("[jktstr.ctl]");
        assertThatThrownBy(() -> c.port(2)).isInstanceOf(VirtioException.class);
        assertThat(c.queueCount()).isEqualTo(6);
    }

    private static Thread thread(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElse(null);
    }

    private static String readAvailable(InputStream in) {
        try {
            byte[] b = new byte[in.available()];
            int n = in.read(b);
            return new String(b, 0, Math.max(n, 0), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
