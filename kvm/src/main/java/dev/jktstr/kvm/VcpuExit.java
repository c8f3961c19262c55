package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmRun;
import java.lang.foreign.MemorySegment;

/**
 * Why KVM_RUN returned, decoded from {@code kvm_run} (modelled on rust-vmm kvm-ioctls' {@code VcpuExit}).
 * PIO and MMIO data stay in the {@code kvm_run} page: the records say where, and an IN or MMIO read
 * answers there before the next KVM_RUN.
 */
public sealed interface VcpuExit {

    /** {@code KVM_EXIT_IO}: {@code count} accesses of {@code size} bytes at {@code kvm_run + dataOffset}. */
    record Io(boolean out, int port, int size, int count, long dataOffset) implements VcpuExit {}

    /** {@code KVM_EXIT_MMIO}: {@code length} bytes in {@code kvm_run.mmio.data}. */
    record Mmio(long address, int length, boolean write) implements VcpuExit {}

    /** {@code KVM_EXIT_SHUTDOWN}: a triple fault. */
    record Shutdown() implements VcpuExit {}

    /** {@code KVM_EXIT_SYSTEM_EVENT} with its {@code KVM_SYSTEM_EVENT_*} type. */
    record SystemEvent(int type) implements VcpuExit {}

    /** {@code KVM_EXIT_HLT}: HLT without an in-kernel LAPIC to wait in. */
    record Hlt() implements VcpuExit {}

    /** {@code KVM_EXIT_INTERNAL_ERROR}. */
    record InternalError(int suberror) implements VcpuExit {}

    /** {@code KVM_EXIT_FAIL_ENTRY}: the hardware refused the vCPU state. */
    record FailEntry(long reason) implements VcpuExit {}

    /** A signal or {@code immediate_exit} stopped KVM_RUN (EINTR, or {@code KVM_EXIT_INTR}). */
    record Interrupted() implements VcpuExit {}

    /** Any other {@code KVM_EXIT_*}. */
    record Unknown(int reason) implements VcpuExit {}

    /** Reads the exit KVM_RUN left in a vCPU's {@code kvm_run} page. */
    static VcpuExit decode(MemorySegment run) {
        int reason = KvmRun.exit_reason(run);
        return switch (reason) {
            case KvmH.KVM_EXIT_IO -> {
                MemorySegment io = KvmRun.io(run);
                yield new Io(KvmRun.Io.direction(io) == KvmH.KVM_EXIT_IO_OUT, KvmRun.Io.port(io) & 0xFFFF,
                        KvmRun.Io.size(io), KvmRun.Io.count(io), KvmRun.Io.data_offset(io));
            }
            case KvmH.KVM_EXIT_MMIO -> {
                MemorySegment mmio = KvmRun.mmio(run);
                yield new Mmio(KvmRun.Mmio.phys_addr(mmio), KvmRun.Mmio.len(mmio), KvmRun.Mmio.is_write(mmio) != 0);
            }
            case KvmH.KVM_EXIT_SHUTDOWN -> new Shutdown();
            case KvmH.KVM_EXIT_SYSTEM_EVENT -> new SystemEvent(KvmRun.SystemEvent.type(KvmRun.system_event(run)));
            case KvmH.KVM_EXIT_HLT -> new Hlt();
            case KvmH.KVM_EXIT_INTERNAL_ERROR -> new InternalError(KvmRun.Internal.suberror(KvmRun.internal(run)));
            case KvmH.KVM_EXIT_FAIL_ENTRY -> new FailEntry(KvmRun.FailEntry.hardware_entry_failure_reason(KvmRun.fail_entry(run)));
            case KvmH.KVM_EXIT_INTR -> new Interrupted();
            default -> new Unknown(reason);
        };
    }
}
