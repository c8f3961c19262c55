package dev.jktstr.machine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A guest console's recent history, for every backend: a ring of the last {@link #CAPACITY} bytes,
 * readable as a tail and as streams. A stream that falls more than the capacity behind skips ahead rather than blocking the
 * pump (the guest must never stall on a slow reader). Also watches lines for the kernel's panic and
 * reboot messages so the exit reason can be told apart.
 */
public final class ConsoleLog {

    public static final int CAPACITY = 1 << 20;
    static final int TAIL_BYTES = 8 << 10;

    private byte[] ring = new byte[0]; // grown on demand: most VMs never write 1 MiB, COM2 usually nothing
    private long written;
    private boolean ended;
    private final StringBuilder line = new StringBuilder();
    private volatile boolean sawPanic;
    private volatile boolean sawRestart;
    private volatile boolean sawPowerDown;

    public synchronized void append(byte[] data, int off, int len) {
        if (written + len > ring.length && ring.length < CAPACITY) {
            grow(written + len);
        }
        for (int i = 0; i < len; i++) {
            byte b = data[off + i];
            ring[(int) (written++ % ring.length)] = b;
            watch(b);
        }
        notifyAll();
    }

    /** Grows the ring while nothing has wrapped yet (written < capacity), so positions stay valid. */
    private void grow(long needed) {
        int size = (int) Math.min(CAPACITY, Math.max(needed, Math.max(4096, 2L * ring.length)));
        ring = java.util.Arrays.copyOf(ring, size);
    }

    private void watch(byte b) {
        if (b == '\n' || line.length() > 512) {
            String l = line.toString();
            if (l.contains("Kernel panic - not syncing")) {
                sawPanic = true;
            } else if (l.contains("reboot: Restarting system")) {
                sawRestart = true;
            } else if (l.contains("reboot: Power down")) {
                sawPowerDown = true;
            }
            line.setLength(0);
        } else if (b != '\r') {
            line.append((char) (b & 0xff));
        }
    }

    public synchronized void end() {
        ended = true;
        notifyAll();
    }

    public synchronized boolean ended() {
        return ended;
    }

    /** Waits up to {@code millis} for the pump to reach the end of the console stream. */
    public synchronized boolean awaitEnd(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!ended) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    public boolean sawPanic() {
        return sawPanic;
    }

    public boolean sawRestart() {
        return sawRestart;
    }

    public boolean sawPowerDown() {
        return sawPowerDown;
    }

    /**
     * The last few KiB of output, starting at a line boundary, through {@link GuestText#lines}: control characters
     * other than newline and tab (C0, DEL, C1, bidi controls) escaped, a CR before a newline dropped.
     */
    public synchronized String tail() {
        int n = (int) Math.min(written, TAIL_BYTES);
        byte[] out = new byte[n];
        long start = written - n;
        for (int i = 0; i < n; i++) {
            out[i] = ring[(int) ((start + i) % ring.length)];
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (start > 0) {
            int nl = s.indexOf('\n');
            if (nl >= 0) {
                s = s.substring(nl + 1);
            }
        }
        // already bounded by TAIL_BYTES; escaping may lengthen it, and a cap would cut off the newest lines
        return GuestText.lines(s, Integer.MAX_VALUE).stripTrailing();
    }

    /** A stream from the oldest byte still retained. */
    public synchronized InputStream stream() {
        return new Reader(Math.max(0, written - CAPACITY));
    }

    private final class Reader extends InputStream {
        private long position;

        Reader(long position) {
            this.position = position;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            synchronized (ConsoleLog.this) {
                while (position >= written && !ended) {
                    try {
                        ConsoleLog.this.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted reading the console");
                    }
                }
                if (position >= written) {
                    return -1;
                }
                position = Math.max(position, written - CAPACITY);
                int n = (int) Math.min(len, written - position);
                for (int i = 0; i < n; i++) {
                    b[off + i] = ring[(int) ((position + i) % ring.length)];
                }
                position += n;
                return n;
            }
        }

        @Override
        public int available() {
            synchronized (ConsoleLog.this) {
                return (int) Math.min(Integer.MAX_VALUE, written - position);
            }
        }
    }
}
