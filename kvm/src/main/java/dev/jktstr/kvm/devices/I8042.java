package dev.jktstr.kvm.devices;

import dev.jktstr.kvm.BusDevice;
import dev.jktstr.kvm.StatefulDevice;
import java.nio.ByteBuffer;

/**
 * The bit of the PS/2 controller (ports 0x60 and 0x64) a kernel touches without a keyboard: status
 * reads as empty, and command 0xFE (pulse the reset line) is the reboot Linux tries first. Register
 * at port {@link #DATA_PORT} with length 5 (0x60–0x64).
 */
public final class I8042 implements BusDevice, StatefulDevice {

    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_OFFSET = 4;
    public static final int CMD_RESET = 0xFE;

    private final Runnable reset;
    private int commandByte;
    private int pendingCommand = -1;
    private int output = -1;

    /** @param reset called when the guest pulses the CPU reset line */
    public I8042(Runnable reset) {
        this.reset = reset;
    }

    @Override
    public synchronized byte[] saveState() {
        return ByteBuffer.allocate(12).putInt(commandByte).putInt(pendingCommand).putInt(output).array();
    }

    @Override
    public synchronized void restoreState(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state);
        int command = b.getInt();
        int pending = b.getInt();
        int out = b.getInt();
        if (b.hasRemaining() || command != (command & 0xFF) || pending < -1 || pending > 0xFF || out < -1 || out > 0xFF) {
            throw new IllegalArgumentException("not an i8042 state: " + state.length + " bytes");
        }
        commandByte = command;
        pendingCommand = pending;
        output = out;
    }

    @Override
    public synchronized long read(long offset, int size) {
        if (offset == 0) {
            int v = output < 0 ? 0 : output;
            output = -1;
            return v;
        }
        if (offset == COMMAND_OFFSET) {
            return output >= 0 ? 0x01 : 0x00; // output buffer full or empty; input buffer always empty
        }
        return 0xFF;
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xFF;
        boolean doReset = false;
        synchronized (this) {
            if (offset == COMMAND_OFFSET) {
                switch (v) {
                    case CMD_RESET -> doReset = true;
                    case 0x20 -> output = commandByte; // read command byte
                    case 0x60 -> pendingCommand = v; // write command byte: next data byte
                    case 0xAA -> output = 0x55; // self-test passed
                    default -> {
                    }
                }
            } else if (offset == 0 && pendingCommand == 0x60) {
                commandByte = v;
                pendingCommand = -1;
            }
        }
        if (doReset) {
            reset.run();
        }
    }
}
