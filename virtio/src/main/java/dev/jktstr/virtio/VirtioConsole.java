package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONSOLE_CONSOLE_PORT;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONSOLE_DEVICE_READY;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONSOLE_F_MULTIPORT;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONSOLE_PORT_ADD;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONSOLE_PORT_NAME;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONSOLE_PORT_OPEN;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_CONSOLE_PORT_READY;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_ID_CONSOLE;

import dev.jktstr.bindings.virtio.VirtioConsoleConfig;
import dev.jktstr.bindings.virtio.VirtioConsoleControl;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * virtio-console with VIRTIO_CONSOLE_F_MULTIPORT (virtio 1.2 §5.3): port 0 is the console (hvc0 in
 * Linux), ports 1.. carry names (Linux: /dev/virtio-ports/&lt;name&gt;). Queues: port 0 receive/transmit
 * (0, 1), control receive/transmit (2, 3), then port p receive/transmit (2p + 2, 2p + 3).
 *
 * <p>The multiport handshake, as Linux's virtio_console driver expects it: the driver sends
 * DEVICE_READY; the device answers PORT_ADD for each port; the driver answers PORT_READY per port;
 * the device then sends CONSOLE_PORT (port 0), PORT_NAME (named ports) and PORT_OPEN 1 (the host side
 * is connected). The driver sends PORT_OPEN when a guest process opens or closes a port. Bytes for
 * the guest go to a port only while the guest has it open, because Linux discards data arriving at a
 * closed port. Messages for the driver wait for its control receive buffers; none is dropped.
 */
public final class VirtioConsole implements VirtioDevice {

    static final int QUEUE_SIZE = 256;
    static final int CONTROL_RECEIVE = 2;
    static final int CONTROL_TRANSMIT = 3;
    private static final int CONTROL_HEADER = (int) VirtioConsoleControl.LAYOUT.byteSize();
    private static final int MAX_NAME_BYTES = 255;
    private static final Logger LOG = LoggerFactory.getLogger(VirtioConsole.class);

    private final List<ConsolePort> ports;
    private final Map<String, ConsolePort> byName = new LinkedHashMap<>();
    private final MemorySegment config;
    private final Engine engine = new Engine();
    private volatile Runnable wake = () -> { };
    private volatile boolean closed;

    private VirtioConsole(List<String> names) {
        List<ConsolePort> all = new ArrayList<>();
        Runnable wakeDevice = () -> wake.run();
        all.add(new ConsolePort(0, "", wakeDevice));
        for (String name : names) {
            ConsolePort port = new ConsolePort(all.size(), name, wakeDevice);
            all.add(port);
            byName.put(name, port);
        }
        this.ports = List.copyOf(all);
        this.config = MemorySegment.ofArray(new byte[(int) VirtioConsoleConfig.LAYOUT.byteSize()]);
        config.set(Virtqueue.U32, VirtioConsoleConfig.max_nr_ports$OFFSET, ports.size());
    }

    /** Port 0 is the console (hvc0); ports 1.. are named, e.g. {@code List.of("jktstr.ctl")}. */
    public static VirtioConsole withNamedPorts(List<String> names) {
        Objects.requireNonNull(names, "names");
        List<String> seen = new ArrayList<>();
        for (String name : names) {
            if (name == null || name.isEmpty()) {
                throw new VirtioException("virtio-console port names must not be empty: " + names);
            }
            if (name.indexOf('\0') >= 0 || name.indexOf('/') >= 0) {
                throw new VirtioException("virtio-console port name '" + name + "' contains NUL or '/'");
            }
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw new VirtioException("virtio-console port name '" + name + "' is longer than " + MAX_NAME_BYTES
                        + " bytes");
            }
            if (seen.contains(name)) {
                throw new VirtioException("virtio-console port name '" + name + "' appears twice in " + names);
            }
            seen.add(name);
        }
        return new VirtioConsole(names);
    }

    public int portCount() {
        return ports.size();
    }

    public ConsolePort port(int index) {
        if (index < 0 || index >= ports.size()) {
            throw new VirtioException("virtio-console has ports 0.." + (ports.size() - 1) + ", not " + index);
        }
        return ports.get(index);
    }

    /** The port named {@code name}; throws {@link VirtioException} naming the known ports. */
    public ConsolePort port(String name) {
        ConsolePort port = byName.get(name);
        if (port == null) {
            throw new VirtioException("virtio-console has no port named '" + name + "'; its named ports are "
                    + byName.keySet());
        }
        return port;
    }

    @Override
    public int deviceId() {
        return VIRTIO_ID_CONSOLE;
    }

    @Override
    public long deviceFeatures() {
        return 1L << VIRTIO_CONSOLE_F_MULTIPORT;
    }

    @Override
    public int queueCount() {
        return 2 * ports.size() + 2;
    }

    @Override
    public int queueMaxSize(int queue) {
        return queue >= 0 && queue < queueCount() ? QUEUE_SIZE : 0;
    }

    @Override
    public MemorySegment configSpace() {
        return config.asReadOnly();
    }

    /** Closes every port: readers get what is buffered, then end of stream; writers get IOException. */
    @Override
    public void close() {
        closed = true;
        for (ConsolePort port : ports) {
            port.fromGuest.close();
            port.toGuest.close();
        }
    }

    DeviceEngine engine() {
        return engine;
    }

    static int receiveQueue(int port) {
        return port == 0 ? 0 : 2 * port + 2;
    }

    static int transmitQueue(int port) {
        return port == 0 ? 1 : 2 * port + 3;
    }

    @Override
    public String toString() {
        return "virtio-console with ports " + ports;
    }

    /** The processing side; every method runs under the transport's processing lock. */
    private final class Engine implements DeviceEngine {

        private boolean multiport;
        private boolean deviceReady;
        /** Guest-reported setup failures are logged once per reset, so a guest cannot flood the log. */
        private boolean guestFailureLogged;
        private final ArrayDeque<byte[]> toDriver = new ArrayDeque<>();

        @Override
        public void attach(Runnable wakeWorker) {
            wake = wakeWorker;
        }

        @Override
        public void activate(long features) {
            multiport = (features & (1L << VIRTIO_CONSOLE_F_MULTIPORT)) != 0;
        }

        @Override
        public void reset() {
            multiport = false;
            deviceReady = false;
            guestFailureLogged = false;
            toDriver.clear();
            for (ConsolePort port : ports) {
                port.resetGuestState();
                port.toGuest.clearFailure();
                port.fromGuest.clearFailure();
            }
        }

        @Override
        public void failed(String reason) {
            for (ConsolePort port : ports) {
                port.toGuest.fail(reason);
            }
        }

        @Override
        public long process(Queues queues) {
            if (closed) {
                return 0;
            }
            if (multiport) {
                receiveControl(queues.queue(CONTROL_TRANSMIT), queues);
            }
            int usable = multiport ? ports.size() : 1;
            for (int p = 0; p < usable && !queues.yieldRequested(); p++) {
                transmit(ports.get(p), queues.queue(transmitQueue(p)), queues);
            }
            if (multiport) {
                sendControl(queues.queue(CONTROL_RECEIVE), queues);
            }
            for (int p = 0; p < usable && !queues.yieldRequested(); p++) {
                ConsolePort port = ports.get(p);
                if (!multiport || (port.ready && port.guestOpen())) {
                    deliver(port, queues.queue(receiveQueue(p)), queues);
                }
            }
            return 0;
        }

        /** Guest to host: takes transmit buffers while the port's host buffer has room. */
        private void transmit(ConsolePort port, Virtqueue queue, Queues queues) {
            if (queue == null) {
                return;
            }
            while (!queues.yieldRequested()) {
                DescriptorChain chain = port.transmitting;
                if (chain == null || chain.queue != queue) {
                    if (!port.fromGuest.hasSpaceElseWakeMe()) {
                        return; // host buffer full: the host's next read wakes us
                    }
                    chain = queue.pop();
                    if (chain == null) {
                        port.transmitting = null;
                        return;
                    }
                    port.transmitting = chain;
                    port.transmitted = 0;
                }
                long left = chain.readableLength() - port.transmitted;
                long moved = port.fromGuest.fillFrom(chain, port.transmitted, left);
                port.transmitted += moved;
                if (moved < left) {
                    return; // host buffer full: the host's next read wakes us
                }
                queue.push(chain, 0);
                port.transmitting = null;
            }
        }

        /** Host to guest: fills receive buffers with what the host wrote. */
        private void deliver(ConsolePort port, Virtqueue queue, Queues queues) {
            if (queue == null) {
                return;
            }
            while (port.toGuest.size() > 0 && !queues.yieldRequested()) {
                DescriptorChain chain = queue.pop();
                if (chain == null) {
                    return; // the driver's next kick (avail_event published) brings buffers
                }
                if (chain.writableLength() == 0) {
                    throw queue.violation("receive buffer at head %d has no device-writable space", chain.head);
                }
                long moved = port.toGuest.drainInto(chain, chain.writableLength());
                queue.push(chain, moved);
            }
        }

        /** Control messages from the driver. */
        private void receiveControl(Virtqueue queue, Queues queues) {
            if (queue == null) {
                return;
            }
            while (!queues.yieldRequested()) {
                DescriptorChain chain = queue.pop();
                if (chain == null) {
                    return;
                }
                if (chain.readableLength() < CONTROL_HEADER) {
                    throw queue.violation("control message at head %d has %d bytes, less than its %d-byte header",
                            chain.head, chain.readableLength(), CONTROL_HEADER);
                }
                MemorySegment message = MemorySegment.ofArray(chain.read(0, CONTROL_HEADER));
                long id = Integer.toUnsignedLong(message.get(Virtqueue.U32, VirtioConsoleControl.id$OFFSET));
                int event = Short.toUnsignedInt(message.get(Virtqueue.U16, VirtioConsoleControl.event$OFFSET));
                int value = Short.toUnsignedInt(message.get(Virtqueue.U16, VirtioConsoleControl.value$OFFSET));
                queue.push(chain, 0);
                handle(id, event, value);
            }
        }

        private void handle(long id, int event, int value) {
            if (event == VIRTIO_CONSOLE_DEVICE_READY) {
                if (value != 1) {
                    guestFailure("the guest driver failed to set up the device (DEVICE_READY " + value + ")");
                } else if (!deviceReady) {
                    deviceReady = true;
                    for (ConsolePort port : ports) {
                        queueMessage(port.id(), VIRTIO_CONSOLE_PORT_ADD, 1, null);
                    }
                }
                return;
            }
            if (id >= ports.size()) {
                LOG.debug("virtio-console: control event {} for unknown port {} ignored", event, id);
                return;
            }
            ConsolePort port = ports.get((int) id);
            switch (event) {
                case VIRTIO_CONSOLE_PORT_READY -> {
                    if (value != 1) {
                        guestFailure("the guest driver failed to add " + port);
                    } else if (!port.ready) {
                        port.ready = true;
                        if (port.id() == 0) {
                            queueMessage(0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, null);
                        }
                        if (!port.name().isEmpty()) {
                            queueMessage(port.id(), VIRTIO_CONSOLE_PORT_NAME, 1, port.name());
                        }
                        queueMessage(port.id(), VIRTIO_CONSOLE_PORT_OPEN, 1, null);
                    }
                }
                case VIRTIO_CONSOLE_PORT_OPEN -> port.guestOpen(value != 0);
                default -> LOG.debug("virtio-console: control event {} for {} ignored", event, port);
            }
        }

        private void guestFailure(String what) {
            if (!guestFailureLogged) {
                guestFailureLogged = true;
                LOG.warn("virtio-console: {}", what);
            } else {
                LOG.debug("virtio-console: {}", what);
            }
        }

        private void queueMessage(long id, int event, int value, String name) {
            byte[] nameBytes = name == null ? new byte[0] : name.getBytes(StandardCharsets.UTF_8);
            // The name follows the header, NUL-terminated as QEMU sends it (Linux copies and terminates it).
            byte[] bytes = new byte[CONTROL_HEADER + (name == null ? 0 : nameBytes.length + 1)];
            MemorySegment message = MemorySegment.ofArray(bytes);
            message.set(Virtqueue.U32, VirtioConsoleControl.id$OFFSET, (int) id);
            message.set(Virtqueue.U16, VirtioConsoleControl.event$OFFSET, (short) event);
            message.set(Virtqueue.U16, VirtioConsoleControl.value$OFFSET, (short) value);
            System.arraycopy(nameBytes, 0, bytes, CONTROL_HEADER, nameBytes.length);
            toDriver.add(bytes);
        }

        /** Control messages to the driver, as its receive buffers allow. */
        private void sendControl(Virtqueue queue, Queues queues) {
            if (queue == null) {
                return;
            }
            while (!toDriver.isEmpty() && !queues.yieldRequested()) {
                DescriptorChain chain = queue.pop();
                if (chain == null) {
                    return;
                }
                byte[] message = toDriver.peek();
                if (chain.writableLength() < message.length) {
                    throw queue.violation("control receive buffer at head %d has %d writable bytes, less than the"
                            + " %d-byte message", chain.head, chain.writableLength(), message.length);
                }
                chain.write(0, message);
                queue.push(chain, message.length);
                toDriver.poll();
            }
        }
    }
}
