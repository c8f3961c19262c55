package dev.jktstr.kvm;

import java.util.concurrent.atomic.AtomicLong;

/**
 * An address space (port I/O or MMIO) mapping ranges to {@link BusDevice}s. The vCPU run loop
 * dispatches exits here; devices never see the run loop. Reads of unclaimed addresses return all
 * ones (what an empty ISA bus floats to) and writes are dropped; both are counted. Register every
 * device before the vCPUs start.
 */
public final class Bus {

    private final String name;
    private final AtomicLong unclaimed = new AtomicLong();
    // Sorted by base, replaced whole on register: lookups on the exit path neither lock nor box.
    private volatile long[] bases = new long[0];
    private volatile long[] lengths = new long[0];
    private volatile BusDevice[] devices = new BusDevice[0];

    public Bus(String name) {
        this.name = name;
    }

    /** Claims {@code [base, base + length)} for {@code device}; overlapping claims throw. */
    public synchronized void register(long base, long length, BusDevice device) {
        if (length <= 0) {
            throw new IllegalArgumentException("empty range at 0x" + Long.toHexString(base));
        }
        long[] b = bases;
        long[] l = lengths;
        BusDevice[] d = devices;
        int at = 0;
        while (at < b.length && b[at] < base) {
            at++;
        }
        if (at > 0 && b[at - 1] + l[at - 1] > base || at < b.length && base + length > b[at]) {
            int other = at > 0 && b[at - 1] + l[at - 1] > base ? at - 1 : at;
            throw new IllegalArgumentException(String.format("%s range 0x%x+%d overlaps 0x%x+%d", name, base, length,
                    b[other], l[other]));
        }
        long[] nb = new long[b.length + 1];
        long[] nl = new long[b.length + 1];
        BusDevice[] nd = new BusDevice[b.length + 1];
        System.arraycopy(b, 0, nb, 0, at);
        System.arraycopy(l, 0, nl, 0, at);
        System.arraycopy(d, 0, nd, 0, at);
        nb[at] = base;
        nl[at] = length;
        nd[at] = device;
        System.arraycopy(b, at, nb, at + 1, b.length - at);
        System.arraycopy(l, at, nl, at + 1, b.length - at);
        System.arraycopy(d, at, nd, at + 1, b.length - at);
        lengths = nl;
        devices = nd;
        bases = nb; // published last; readers read bases first
    }

    /** Index of the slot holding {@code address}, or -1. */
    private int find(long address, long[] b, long[] l) {
        int lo = 0;
        int hi = b.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (b[mid] <= address) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && address - b[hi] < l[hi] ? hi : -1;
    }

    /** Dispatches a read; unclaimed addresses read as all ones. */
    public long read(long address, int size) {
        long[] b = bases;
        long[] l = lengths;
        BusDevice[] d = devices;
        int i = find(address, b, l);
        if (i < 0 || i >= d.length) {
            unclaimed.incrementAndGet();
            return -1L;
        }
        return d[i].read(address - b[i], size);
    }

    /** Dispatches a write; returns false (and counts it) when nothing claims the address. */
    public boolean write(long address, int size, long value) {
        long[] b = bases;
        long[] l = lengths;
        BusDevice[] d = devices;
        int i = find(address, b, l);
        if (i < 0 || i >= d.length) {
            unclaimed.incrementAndGet();
            return false;
        }
        d[i].write(address - b[i], size, value);
        return true;
    }

    /** Accesses no device claimed since creation. */
    public long unclaimedAccesses() {
        return unclaimed.get();
    }

    @Override
    public String toString() {
        return name + " bus, " + bases.length + " devices";
    }
}
