package dev.jktstr.kvm.devices;

import dev.jktstr.kvm.BusDevice;
import dev.jktstr.kvm.StatefulDevice;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.IntConsumer;

/**
 * A 16550A UART, enough for Linux's 8250 driver and for test guests: transmit (every byte goes to
 * {@code output} at once, the transmitter is always empty), receive through {@link #receive(byte[])},
 * divisor latch, scratch, FIFO flag, and the THR-empty and data-ready interrupts raised through
 * {@code interrupt} (an edge, e.g. an irqfd).
 */
public final class Serial16550 implements BusDevice, StatefulDevice {

    /** COM1 and COM2 ports and IRQs, as on every PC. */
    public static final int COM1_PORT = 0x3F8;
    public static final int COM1_IRQ = 4;
    public static final int COM2_PORT = 0x2F8;
    public static final int COM2_IRQ = 3;
    public static final int PORT_COUNT = 8;

    private static final int IER_RX = 0x01;
    private static final int IER_THRE = 0x02;
    private static final int LCR_DLAB = 0x80;
    private static final int LSR_DATA_READY = 0x01;
    private static final int LSR_THR_EMPTY = 0x20;
    private static final int LSR_IDLE = 0x40;
    private static final int IIR_NONE = 0x01;
    private static final int IIR_THRE = 0x02;
    private static final int IIR_RX = 0x04;
    private static final int IIR_FIFO = 0xC0;
    private static final int RX_CAPACITY = 64 * 1024;

    private final IntConsumer output;
    private final Runnable interrupt;
    private final ArrayDeque<Byte> rx = new ArrayDeque<>();
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int dll = 0x0C;
    private int dlm;
    private boolean fifo;
    private boolean thrInterruptPending;

    /** @param output receives each byte the guest transmits; @param interrupt raises the UART's IRQ */
    public Serial16550(IntConsumer output, Runnable interrupt) {
        this.output = output;
        this.interrupt = interrupt;
    }

    /** Bytes for the guest to read; excess beyond 64 KiB is dropped (a guest that never reads cannot grow the host). */
    public void receive(byte[] bytes) {
        boolean raise;
        synchronized (this) {
            for (byte b : bytes) {
                if (rx.size() < RX_CAPACITY) {
                    rx.add(b);
                }
            }
            raise = (ier & IER_RX) != 0 && !rx.isEmpty();
        }
        if (raise) {
            interrupt.run();
        }
    }

    /** Registers, then the unread receive bytes. */
    @Override
    public synchronized byte[] saveState() {
        ByteBuffer b = ByteBuffer.allocate(12 + rx.size());
        b.put((byte) ier).put((byte) lcr).put((byte) mcr).put((byte) scr).put((byte) dll).put((byte) dlm)
                .put((byte) (fifo ? 1 : 0)).put((byte) (thrInterruptPending ? 1 : 0)).putInt(rx.size());
        rx.forEach(b::put);
        return b.array();
    }

    @Override
    public synchronized void restoreState(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state);
        ier = b.get() & 0x0F;
        lcr = b.get() & 0xFF;
        mcr = b.get() & 0xFF;
        scr = b.get() & 0xFF;
        dll = b.get() & 0xFF;
        dlm = b.get() & 0xFF;
        fifo = b.get() != 0;
        thrInterruptPending = b.get() != 0;
        int pending = b.getInt();
        if (pending < 0 || pending > RX_CAPACITY || pending != b.remaining()) {
            throw new IllegalArgumentException("16550 state holds " + b.remaining() + " receive bytes but says " + pending);
        }
        rx.clear();
        while (b.hasRemaining()) {
            rx.add(b.get());
        }
    }

    @Override
    public long read(long offset, int size) {
        synchronized (this) {
            return switch ((int) offset) {
                case 0 -> (lcr & LCR_DLAB) != 0 ? dll : rx.isEmpty() ? 0 : rx.poll() & 0xFF;
                case 1 -> (lcr & LCR_DLAB) != 0 ? dlm : ier;
                case 2 -> iir();
                case 3 -> lcr;
                case 4 -> mcr;
                case 5 -> LSR_THR_EMPTY | LSR_IDLE | (rx.isEmpty() ? 0 : LSR_DATA_READY);
                case 6 -> 0xB0; // DCD, DSR, CTS: a cable is attached
                case 7 -> scr;
                default -> 0xFF;
            };
        }
    }

    private int iir() {
        int id;
        if ((ier & IER_RX) != 0 && !rx.isEmpty()) {
            id = IIR_RX;
        } else if ((ier & IER_THRE) != 0 && thrInterruptPending) {
            id = IIR_THRE;
            thrInterruptPending = false; // reading IIR clears a THR-empty interrupt
        } else {
            id = IIR_NONE;
        }
        return id | (fifo ? IIR_FIFO : 0);
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xFF;
        boolean raise = false;
        synchronized (this) {
            switch ((int) offset) {
                case 0 -> {
                    if ((lcr & LCR_DLAB) != 0) {
                        dll = v;
                    } else {
                        output.accept(v);
                        if ((ier & IER_THRE) != 0) {
                            thrInterruptPending = true;
                            raise = true;
                        }
                    }
                }
                case 1 -> {
                    if ((lcr & LCR_DLAB) != 0) {
                        dlm = v;
                    } else {
                        int old = ier;
                        ier = v & 0x0F;
                        if ((ier & IER_THRE) != 0 && (old & IER_THRE) == 0) {
                            thrInterruptPending = true;
                            raise = true;
                        }
                        raise |= (ier & IER_RX) != 0 && (old & IER_RX) == 0 && !rx.isEmpty();
                    }
                }
                case 2 -> fifo = (v & 1) != 0;
                case 3 -> lcr = v;
                case 4 -> mcr = v;
                case 7 -> scr = v;
                default -> {
                }
            }
        }
        if (raise) {
            interrupt.run();
        }
    }
}
