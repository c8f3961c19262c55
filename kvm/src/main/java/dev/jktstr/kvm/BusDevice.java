package dev.jktstr.kvm;

/**
 * A device as a state machine over reads and writes (vm-superio's habit): it knows nothing about
 * buses, threads or KVM. Offsets are relative to the range it was registered at; sizes are 1, 2, 4
 * or 8 bytes. Called from vCPU threads, possibly several at once: implementations synchronize.
 */
public interface BusDevice {

    /** The value of a {@code size}-byte read at {@code offset} (low bytes used). */
    long read(long offset, int size);

    /** A {@code size}-byte write of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);
}
