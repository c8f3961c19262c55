package dev.jktstr.kvm.devices;

import dev.jktstr.kvm.BusDevice;
import dev.jktstr.kvm.StatefulDevice;
import java.time.Clock;
import java.time.ZonedDateTime;

/**
 * The MC146818 CMOS/RTC at ports 0x70 (index) and 0x71 (data): the time in BCD from the host clock,
 * status registers saying "24 h, BCD, not updating, battery good", and 128 bytes of plain storage for
 * everything else. Enough for Linux's boot-time clock read.
 */
public final class Cmos implements BusDevice, StatefulDevice {

    public static final int PORT = 0x70;

    private final Clock clock;
    private final byte[] nvram = new byte[128];
    private int index;

    public Cmos(Clock clock) {
        this.clock = clock;
    }

    /** The index register, then the 128 bytes of storage (the time is the host's, never saved). */
    @Override
    public synchronized byte[] saveState() {
        byte[] state = new byte[1 + nvram.length];
        state[0] = (byte) index;
        System.arraycopy(nvram, 0, state, 1, nvram.length);
        return state;
    }

    @Override
    public synchronized void restoreState(byte[] state) {
        if (state.length != 1 + nvram.length) {
            throw new IllegalArgumentException("CMOS state is " + state.length + " bytes, not " + (1 + nvram.length));
        }
        index = state[0] & 0x7F;
        System.arraycopy(state, 1, nvram, 0, nvram.length);
    }

    @Override
    public synchronized long read(long offset, int size) {
        if (offset == 0) {
            return index;
        }
        ZonedDateTime now = ZonedDateTime.now(clock);
        return switch (index) {
            case 0x00 -> bcd(now.getSecond());
            case 0x02 -> bcd(now.getMinute());
            case 0x04 -> bcd(now.getHour());
            case 0x06 -> bcd(now.getDayOfWeek().getValue() % 7 + 1);
            case 0x07 -> bcd(now.getDayOfMonth());
            case 0x08 -> bcd(now.getMonthValue());
            case 0x09 -> bcd(now.getYear() % 100);
            case 0x32 -> bcd(now.getYear() / 100);
            case 0x0A -> 0x26; // 32.768 kHz, 1024 Hz, update not in progress
            case 0x0B -> 0x02; // 24-hour, BCD
            case 0x0C -> 0x00;
            case 0x0D -> 0x80; // RTC battery good
            default -> nvram[index] & 0xFF;
        };
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        if (offset == 0) {
            index = (int) value & 0x7F; // bit 7 is NMI disable
        } else {
            nvram[index] = (byte) value;
        }
    }

    private static int bcd(int v) {
        return (v / 10) << 4 | v % 10;
    }
}
