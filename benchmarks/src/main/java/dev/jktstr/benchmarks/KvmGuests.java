package dev.jktstr.benchmarks;

import dev.jktstr.kvm.BusDevice;
import dev.jktstr.kvm.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Tiny 64-bit guests for the VMM benchmarks, as machine code (disassembly beside each). */
final class KvmGuests {

    static final long LOAD = 0x100000;

    private KvmGuests() {}

    /** {@code out %al,$0x90} first, then power off: the first instruction is a port-I/O exit. */
    static byte[] firstInstruction() {
        return new byte[] {
            (byte) 0xE6, (byte) 0x90, // out %al,$0x90
            (byte) 0xB0, 0x34, // mov $0x34,%al
            0x66, (byte) 0xBA, (byte) 0xC0, 0x03, // mov $0x3c0,%dx
            (byte) 0xEE, // out %al,(%dx)
            (byte) 0xF4, (byte) 0xEB, (byte) 0xFD}; // hlt; jmp .-1
    }

    /** {@code exits} port-I/O writes to 0x500 in a {@code loop}, then power off. */
    static byte[] pioLoop(int exits) {
        ByteBuffer b = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0xB9).putInt(exits); // mov $exits,%ecx
        b.put(new byte[] {0x66, (byte) 0xBA, 0x00, 0x05}); // mov $0x500,%dx
        b.put((byte) 0xEE); // 1: out %al,(%dx)
        b.put(new byte[] {(byte) 0xE2, (byte) 0xFD}); // loop 1b
        b.put(new byte[] {(byte) 0xB0, 0x34, 0x66, (byte) 0xBA, (byte) 0xC0, 0x03, (byte) 0xEE}); // power off
        b.put(new byte[] {(byte) 0xF4, (byte) 0xEB, (byte) 0xFD}); // hlt; jmp .-1
        return b.array();
    }

    /** Records the time of the first and last write and counts them. */
    static final class Stamp implements BusDevice {
        volatile long first;
        volatile long last;
        long count;

        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            long t = System.nanoTime();
            if (count++ == 0) {
                first = t;
            }
            last = t;
        }
    }

    static VirtualMachine load(VirtualMachine vm, byte[] code) {
        vm.memory().writeBytes(LOAD, code);
        vm.setEntry(0, LOAD, 0x80000, 0);
        return vm;
    }
}
