package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;

import dev.jktstr.virtio.TestDriver.Buf;
import dev.jktstr.virtio.TestDriver.GuestQueue;
import dev.jktstr.virtio.TestDriver.Used;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The guest side of a virtio-console: queues, control messages, the multiport handshake, data buffers. */
final class ConsoleGuest {

    /** A control message as the guest received it. */
    record Control(long id, int event, int value, String name) {
        @Override
        public String toString() {
            return "(" + id + ", " + event + ", " + value + (name.isEmpty() ? "" : ", " + name) + ")";
        }
    }

    static final int QUEUE_SIZE = 64;
    static final int BUFFER = 4096;

    final TestDriver d;
    final VirtioConsole console;
    final GuestQueue[] queues;
    private final long[] bufferBase;

    ConsoleGuest(FakeGuest guest, VirtioConsole console, String name) {
        this.d = new TestDriver(guest, console, name);
        this.console = console;
        this.queues = new GuestQueue[console.queueCount()];
        this.bufferBase = new long[console.queueCount()];
    }

    /** Negotiates {@code features}, lays out the queues the features allow, sets DRIVER_OK, posts control buffers. */
    ConsoleGuest init(long features) {
        if (!d.negotiate(features)) {
            throw new AssertionError("features refused");
        }
        boolean multiport = (features & (1L << VIRTIO_CONSOLE_F_MULTIPORT)) != 0;
        int count = multiport ? console.queueCount() : 2;
        for (int q = 0; q < count; q++) {
            if (queues[q] == null || bufferBase[q] == 0) {
                bufferBase[q] = d.guest.alloc((long) BUFFER * QUEUE_SIZE, 4096);
            }
            queues[q] = d.queue(q, QUEUE_SIZE);
        }
        d.driverOk();
        if (multiport) {
            postControlBuffers(QUEUE_SIZE);
        }
        return this;
    }

    ConsoleGuest init() {
        return init(d.deviceFeatures());
    }

    /** Where the data buffer of descriptor {@code head} of queue {@code q} lives (one page per head). */
    long buffer(int q, int head) {
        return bufferBase[q] + (long) BUFFER * head;
    }

    void postControlBuffers(int n) {
        GuestQueue rx = queues[VirtioConsole.CONTROL_RECEIVE];
        for (int i = 0; i < n && rx.freeDescriptors() > 0; i++) {
            postReceive(rx, BUFFER);
        }
    }

    /** Posts a one-descriptor receive buffer of {@code len} bytes; returns its head. */
    int postReceive(GuestQueue q, int len) {
        int head = peekFree(q);
        return q.post(Buf.in(buffer(q.index, head), len));
    }

    private static int peekFree(GuestQueue q) {
        // The driver's free list hands out the lowest free descriptor first for one-descriptor chains.
        return q.nextFree();
    }

    void sendControl(long id, int event, int value) {
        GuestQueue tx = queues[VirtioConsole.CONTROL_TRANSMIT];
        tx.reap();
        int head = tx.nextFree();
        long at = buffer(tx.index, head);
        MemorySegment m = d.seg(at, 8);
        m.set(Virtqueue.U32, 0, (int) id);
        m.set(Virtqueue.U16, 4, (short) event);
        m.set(Virtqueue.U16, 6, (short) value);
        tx.post(Buf.out(at, 8));
        tx.kick();
    }

    /** Control messages the device sent since the last call; their buffers are posted again. */
    List<Control> receiveControl() {
        GuestQueue rx = queues[VirtioConsole.CONTROL_RECEIVE];
        List<Control> out = new ArrayList<>();
        for (Used u : rx.reap()) {
            byte[] b = d.bytes(buffer(rx.index, u.head()), u.len());
            MemorySegment m = MemorySegment.ofArray(b);
            String name = "";
            if (b.length > 8) {
                int end = 8;
                while (end < b.length && b[end] != 0) {
                    end++;
                }
                name = new String(Arrays.copyOfRange(b, 8, end), StandardCharsets.UTF_8);
            }
            out.add(new Control(Integer.toUnsignedLong(m.get(Virtqueue.U32, 0)),
                    Short.toUnsignedInt(m.get(Virtqueue.U16, 4)), Short.toUnsignedInt(m.get(Virtqueue.U16, 6)), name));
        }
        postControlBuffers(out.size());
        if (!out.isEmpty()) {
            rx.kick();
        }
        return out;
    }

    /** The Linux handshake, run synchronously with processNow; returns every message the device sent. */
    List<Control> handshake() {
        List<Control> all = new ArrayList<>();
        sendControl(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
        d.device.processNow();
        List<Control> adds = receiveControl();
        all.addAll(adds);
        for (Control add : adds) {
            if (add.event() == VIRTIO_CONSOLE_PORT_ADD) {
                sendControl(add.id(), VIRTIO_CONSOLE_PORT_READY, 1);
                d.device.processNow();
                all.addAll(receiveControl());
            }
        }
        return all;
    }

    /** A guest process opens (or closes) port {@code id}. */
    void open(int id, boolean open) {
        sendControl(id, VIRTIO_CONSOLE_PORT_OPEN, open ? 1 : 0);
    }

    GuestQueue rx(int port) {
        return queues[VirtioConsole.receiveQueue(port)];
    }

    GuestQueue tx(int port) {
        return queues[VirtioConsole.transmitQueue(port)];
    }

    /** Queues {@code data} (at most one page) for transmission on {@code port}; returns the head or -1. */
    int transmit(int port, byte[] data) {
        GuestQueue tx = tx(port);
        if (tx.freeDescriptors() == 0) {
            return -1;
        }
        int head = tx.nextFree();
        long at = buffer(tx.index, head);
        d.put(at, data);
        return tx.post(Buf.out(at, data.length));
    }
}
