package dev.jktstr.virtio;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded byte buffer between a host thread and a device worker. The host side blocks (reads
 * wait for bytes, writes wait for space); the device side never blocks, it moves what fits and, when
 * it had to stop for lack of space, asks to be woken once a host read frees some (backpressure
 * without dropping bytes).
 */
final class ByteRing {

    private final byte[] buffer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private int head;
    private int count;
    private boolean closed;
    private String failure;
    private boolean deviceWaitsForSpace;
    private long deviceStalls;
    private final Runnable wakeDevice;
    private final String what;

    ByteRing(int capacity, String what, Runnable wakeDevice) {
        this.buffer = new byte[capacity];
        this.what = what;
        this.wakeDevice = wakeDevice;
    }

    /** How often the device found the buffer full and had to wait for the host (backpressure). */
    long deviceStalls() {
        lock.lock();
        try {
            return deviceStalls;
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        return buffer.length;
    }

    int size() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------ device side (never blocks)

    /** Whether there is room; if not, the next host read wakes the device. */
    boolean hasSpaceElseWakeMe() {
        lock.lock();
        try {
            if (count < buffer.length) {
                return true;
            }
            deviceWaitsForSpace = true;
            deviceStalls++;
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies up to {@code length} readable bytes of {@code chain} from {@code offset} into the
     * buffer; returns how many fit. If not all fit, the next host read wakes the device.
     */
    long fillFrom(DescriptorChain chain, long offset, long length) {
        lock.lock();
        try {
            long n = Math.min(length, buffer.length - count);
            if (n < length) {
                deviceWaitsForSpace = true;
                deviceStalls++;
            }
            if (n > 0) {
                int[] tail = {(head + count) % buffer.length};
                visit(chain, false, offset, n, piece -> {
                    long done = 0;
                    long size = piece.byteSize();
                    while (done < size) {
                        int run = (int) Math.min(size - done, buffer.length - tail[0]);
                        MemorySegment.copy(piece, ValueLayout.JAVA_BYTE, done, buffer, tail[0], run);
                        tail[0] = (tail[0] + run) % buffer.length;
                        done += run;
                    }
                });
                count += (int) n;
                notEmpty.signalAll();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Moves up to {@code length} buffered bytes into the writable part of {@code chain}; returns how many. */
    long drainInto(DescriptorChain chain, long length) {
        lock.lock();
        try {
            long n = Math.min(length, count);
            if (n > 0) {
                visit(chain, true, 0, n, piece -> {
                    long done = 0;
                    long size = piece.byteSize();
                    while (done < size) {
                        int run = (int) Math.min(size - done, buffer.length - head);
                        MemorySegment.copy(buffer, head, piece, ValueLayout.JAVA_BYTE, done, run);
                        head = (head + run) % buffer.length;
                        done += run;
                    }
                });
                count -= (int) n;
                notFull.signalAll();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    private static void visit(DescriptorChain chain, boolean writable, long offset, long n,
            DescriptorChain.PieceVisitor visitor) {
        try {
            chain.visit(writable, offset, n, visitor);
        } catch (IOException e) {
            throw new IllegalStateException(e); // the visitors above do no I/O
        }
    }

    /** The device failed: writers get an IOException until {@link #clearFailure()}. */
    void fail(String reason) {
        lock.lock();
        try {
            failure = reason;
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void clearFailure() {
        lock.lock();
        try {
            failure = null;
            deviceWaitsForSpace = false;
        } finally {
            lock.unlock();
        }
    }

    /** Readers get what is left, then end of stream; writers get an IOException. */
    void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------ host side (blocks)

    int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        boolean wake;
        int n;
        lock.lock();
        try {
            while (count == 0) {
                if (closed) {
                    return -1;
                }
                await(notEmpty);
            }
            n = Math.min(len, count);
            int first = Math.min(n, buffer.length - head);
            System.arraycopy(buffer, head, b, off, first);
            System.arraycopy(buffer, 0, b, off + first, n - first);
            head = (head + n) % buffer.length;
            count -= n;
            notFull.signalAll();
            wake = deviceWaitsForSpace;
            deviceWaitsForSpace = false;
        } finally {
            lock.unlock();
        }
        if (wake) {
            wakeDevice.run();
        }
        return n;
    }

    int available() {
        return size();
    }

    void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        while (len > 0) {
            int n;
            lock.lock();
            try {
                while (true) {
                    if (closed) {
                        throw new IOException(what + " is closed");
                    }
                    if (failure != null) {
                        throw new IOException(what + ": the device failed and waits for the guest to reset it: "
                                + failure);
                    }
                    if (count < buffer.length) {
                        break;
                    }
                    await(notFull);
                }
                n = Math.min(len, buffer.length - count);
                int tail = (head + count) % buffer.length;
                int first = Math.min(n, buffer.length - tail);
                System.arraycopy(b, off, buffer, tail, first);
                System.arraycopy(b, off + first, buffer, 0, n - first);
                count += n;
                notEmpty.signalAll();
            } finally {
                lock.unlock();
            }
            off += n;
            len -= n;
            wakeDevice.run();
        }
    }

    /** Waits for a signal; an interrupt becomes an InterruptedIOException with the flag kept. */
    private static void await(Condition condition) throws InterruptedIOException {
        try {
            condition.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on a virtio-console port");
        }
    }
}
