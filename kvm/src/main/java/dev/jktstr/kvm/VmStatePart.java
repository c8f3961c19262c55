package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmClockData;
import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmIrqchip;
import dev.jktstr.bindings.kvm.KvmPitState2;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One piece of the VM-wide state kept in the kernel, as the raw struct of its GET/SET ioctls. Declared in restore
 * order (Firecracker's {@code Vm::restore_state}): PIT, kvmclock, then the PIC pair and the IO APIC — all before any
 * vCPU's LAPIC, whose delivery depends on them.
 */
enum VmStatePart {
    PIT2(KvmH.KVM_GET_PIT2, KvmH.KVM_SET_PIT2, KvmPitState2.LAYOUT.byteSize(), -1),
    /** kvmclock as it read when the vCPUs stopped, so the guest does not see the time the VM spent saved. */
    CLOCK(KvmH.KVM_GET_CLOCK, KvmH.KVM_SET_CLOCK, KvmClockData.LAYOUT.byteSize(), -1),
    PIC_MASTER(KvmH.KVM_GET_IRQCHIP, KvmH.KVM_SET_IRQCHIP, KvmIrqchip.LAYOUT.byteSize(), KvmH.KVM_IRQCHIP_PIC_MASTER),
    PIC_SLAVE(KvmH.KVM_GET_IRQCHIP, KvmH.KVM_SET_IRQCHIP, KvmIrqchip.LAYOUT.byteSize(), KvmH.KVM_IRQCHIP_PIC_SLAVE),
    IOAPIC(KvmH.KVM_GET_IRQCHIP, KvmH.KVM_SET_IRQCHIP, KvmIrqchip.LAYOUT.byteSize(), KvmH.KVM_IRQCHIP_IOAPIC);

    private final long get;
    private final long set;
    final int bytes;
    private final int chipId;

    VmStatePart(long get, long set, long bytes, int chipId) {
        this.get = get;
        this.set = set;
        this.bytes = (int) bytes;
        this.chipId = chipId;
    }

    /** Reads this part of {@code vm}; {@code clockNanos} is the kvmclock value to keep (the one read at pause). */
    byte[] read(VmFd vm, long clockNanos) {
        byte[] b = new byte[bytes];
        ByteBuffer view = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        if (this == CLOCK) {
            // Only the value: KVM_SET_CLOCK with KVM_CLOCK_REALTIME would add the wall time that passed since.
            view.putLong((int) KvmClockData.clock$OFFSET, clockNanos);
            return b;
        }
        if (chipId >= 0) {
            view.putInt((int) KvmIrqchip.chip_id$OFFSET, chipId);
        }
        vm.stateIoctl(get, b, "KVM_GET_" + name());
        return b;
    }

    /** Whether {@code state} is this part's struct (length, and the chip it names for the irqchip parts). */
    boolean fits(byte[] state) {
        if (state.length != bytes) {
            return false;
        }
        ByteBuffer view = ByteBuffer.wrap(state).order(ByteOrder.nativeOrder());
        return chipId < 0 ? this != CLOCK || view.getInt((int) KvmClockData.flags$OFFSET) == 0
                : view.getInt((int) KvmIrqchip.chip_id$OFFSET) == chipId;
    }

    /** Writes {@code state} (checked by {@link #fits}) into {@code vm}. */
    void write(VmFd vm, byte[] state) {
        vm.stateIoctl(set, state.clone(), "KVM_SET_" + name());
    }
}
