package dev.jktstr.virtio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One port of a {@link VirtioConsole} seen from the host: a byte stream each way. Bytes never drop:
 * when the host does not read, the guest's writes stall in the guest (the device stops taking its
 * transmit buffers); when the guest does not take bytes, the host's writes block once the bounded
 * buffer ({@link #BUFFER_BYTES}) is full. The streams survive device resets; they end when the
 * device is closed.
 */
public final class ConsolePort {

    /** Bytes buffered per direction. */
    public static final int BUFFER_BYTES = 256 * 1024;

    private final int id;
    private final String name;
    final ByteRing fromGuest;
    final ByteRing toGuest;
    private final InputStream in;
    private final OutputStream out;

    // Guest-side state, owned by the device's processing (under its processing lock).
    boolean ready;
    DescriptorChain transmitting;
    long transmitted;
    private volatile boolean guestOpen;

    ConsolePort(int id, String name, Runnable wakeDevice) {
        this.id = id;
        this.name = name;
        String what = "virtio-console port " + id + (name.isEmpty() ? "" : " '" + name + "'");
        this.fromGuest = new ByteRing(BUFFER_BYTES, what, wakeDevice);
        this.toGuest = new ByteRing(BUFFER_BYTES, what, wakeDevice);
        this.in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = fromGuest.read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return fromGuest.read(b, off, len);
            }

            @Override
            public int available() {
                return fromGuest.available();
            }
        };
        this.out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                toGuest.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                toGuest.write(b, off, len);
            }
        };
    }

    /** The port id the guest sees (0 is the console, hvc0). */
    public int id() {
        return id;
    }

    /** The port's name ("" for port 0); Linux shows it as /dev/virtio-ports/&lt;name&gt;. */
    public String name() {
        return name;
    }

    /** Bytes the guest wrote; blocks until some arrive; -1 once the device is closed and all were read. */
    public InputStream fromGuest() {
        return in;
    }

    /** Bytes for the guest; blocks while the buffer is full; IOException once the device is closed or failed. */
    public OutputStream toGuest() {
        return out;
    }

    /** Whether a guest process has the port open (the guest's last PORT_OPEN said so). */
    public boolean guestOpen() {
        return guestOpen;
    }

    void guestOpen(boolean open) {
        guestOpen = open;
    }

    /** Forgets guest-side state on a device reset; buffered bytes stay. */
    void resetGuestState() {
        ready = false;
        transmitting = null;
        transmitted = 0;
        guestOpen = false;
    }

    @Override
    public String toString() {
        return "port " + id + (name.isEmpty() ? " (console)" : " '" + name + "'");
    }
}
