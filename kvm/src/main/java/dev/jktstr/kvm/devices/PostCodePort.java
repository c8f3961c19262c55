package dev.jktstr.kvm.devices;

import dev.jktstr.kvm.BusDevice;
import dev.jktstr.kvm.StatefulDevice;

/** Port 0x80, the POST code / I/O delay port Linux writes to slow down port I/O: remembers the last byte. */
public final class PostCodePort implements BusDevice, StatefulDevice {

    public static final int PORT = 0x80;
    private volatile int last;

    public int lastValue() {
        return last;
    }

    @Override
    public byte[] saveState() {
        return new byte[] {(byte) last};
    }

    @Override
    public void restoreState(byte[] state) {
        if (state.length != 1) {
            throw new IllegalArgumentException("post code state is " + state.length + " bytes, not 1");
        }
        last = state[0] & 0xFF;
    }

    @Override
    public long read(long offset, int size) {
        return last;
    }

    @Override
    public void write(long offset, int size, long value) {
        last = (int) value & 0xFF;
    }
}
