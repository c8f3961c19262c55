package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmRegs;
import dev.jktstr.bindings.kvm.KvmRun;
import dev.jktstr.machine.ExitReason;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the VMM does with each {@link VcpuExit}: PIO and MMIO go to the {@link Bus}es with their data in
 * the vCPU's {@code kvm_run} page (reads answered there); the exits that end the guest go to the
 * {@link ExitLatch} with the vCPU and, where it helps, the RIP.
 */
final class VcpuExitHandler {

    private static final Logger LOG = LoggerFactory.getLogger(VcpuExitHandler.class);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long MMIO_DATA = KvmRun.mmio$OFFSET + KvmRun.Mmio.data$OFFSET;

    private final Bus pio;
    private final Bus mmio;
    private final ExitLatch exits;
    private final Consumer<String> reset;

    /** {@code reset} decides what a guest reset means (see {@link LegacyDevices#reset}). */
    VcpuExitHandler(Bus pio, Bus mmio, ExitLatch exits, Consumer<String> reset) {
        this.pio = pio;
        this.mmio = mmio;
        this.exits = exits;
        this.reset = reset;
    }

    /** Handles {@code exit} of vCPU {@code index} on that vCPU's thread, before its next KVM_RUN. */
    void handle(VcpuFd vcpu, int index, VcpuExit exit) {
        switch (exit) {
            case VcpuExit.Io io -> portIo(vcpu.runArea(), io);
            case VcpuExit.Mmio m -> mmio(vcpu.runArea(), m);
            case VcpuExit.Shutdown _ -> exits.finish(ExitReason.TRIPLE_FAULT,
                    "vCPU " + index + ": triple fault (KVM_EXIT_SHUTDOWN)" + ripOf(vcpu));
            case VcpuExit.SystemEvent e -> systemEvent(index, e.type());
            case VcpuExit.Hlt _ -> exits.finish(ExitReason.POWEROFF, "vCPU " + index + " halted" + ripOf(vcpu));
            case VcpuExit.InternalError e -> exits.finish(ExitReason.CRASHED, "vCPU " + index
                    + ": KVM internal error, suberror " + e.suberror() + ripOf(vcpu));
            case VcpuExit.FailEntry e -> exits.finish(ExitReason.CRASHED, "vCPU " + index
                    + ": KVM_RUN entry failed, hardware reason 0x" + Long.toHexString(e.reason()));
            case VcpuExit.Interrupted _ -> { }
            case VcpuExit.Unknown e -> exits.finish(ExitReason.CRASHED,
                    "vCPU " + index + ": unexpected KVM exit " + e.reason() + ripOf(vcpu));
        }
    }

    private void portIo(MemorySegment run, VcpuExit.Io io) {
        int size = io.size();
        for (int i = 0; i < io.count(); i++) {
            long at = io.dataOffset() + (long) i * size;
            if (at < 0 || at + size > run.byteSize()) {
                break;
            }
            if (io.out()) {
                pio.write(io.port(), size, load(run, at, size));
            } else {
                store(run, at, size, pio.read(io.port(), size));
            }
        }
    }

    private void mmio(MemorySegment run, VcpuExit.Mmio m) {
        int len = m.length();
        if (len < 1 || len > 8) {
            return;
        }
        if (m.write()) {
            mmio.write(m.address(), len, load(run, MMIO_DATA, len));
        } else {
            store(run, MMIO_DATA, len, mmio.read(m.address(), len));
        }
    }

    private void systemEvent(int index, int type) {
        switch (type) {
            case KvmH.KVM_SYSTEM_EVENT_SHUTDOWN -> exits.finish(ExitReason.POWEROFF, "vCPU " + index + ": system event shutdown");
            case KvmH.KVM_SYSTEM_EVENT_RESET -> reset.accept("vCPU " + index + ": system event reset");
            case KvmH.KVM_SYSTEM_EVENT_CRASH -> exits.finish(ExitReason.PANIC, "vCPU " + index + ": system event crash");
            default -> LOG.debug("vCPU {}: system event {} ignored", index, type);
        }
    }

    private static String ripOf(VcpuFd vcpu) {
        try (Arena arena = Arena.ofConfined()) {
            return String.format(" at RIP 0x%x", KvmRegs.rip(vcpu.regs(arena)));
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static long load(MemorySegment s, long at, int size) {
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, at) & 0xFFL;
            case 2 -> s.get(SHORT, at) & 0xFFFFL;
            case 4 -> s.get(INT, at) & 0xFFFF_FFFFL;
            case 8 -> s.get(LONG, at);
            default -> {
                long v = 0;
                for (int i = 0; i < size; i++) {
                    v |= (s.get(ValueLayout.JAVA_BYTE, at + i) & 0xFFL) << (8 * i);
                }
                yield v;
            }
        };
    }

    private static void store(MemorySegment s, long at, int size, long value) {
        for (int i = 0; i < size; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) (value >>> (8 * i)));
        }
    }
}
