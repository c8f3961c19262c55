package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmDebugregs;
import dev.jktstr.bindings.kvm.KvmFpu;
import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmLapicState;
import dev.jktstr.bindings.kvm.KvmMpState;
import dev.jktstr.bindings.kvm.KvmMsrEntry;
import dev.jktstr.bindings.kvm.KvmMsrs;
import dev.jktstr.bindings.kvm.KvmRegs;
import dev.jktstr.bindings.kvm.KvmSregs;
import dev.jktstr.bindings.kvm.KvmVcpuEvents;
import dev.jktstr.bindings.kvm.KvmXcrs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;

/**
 * One piece of a vCPU's state as KVM's GET/SET ioctl pair moves it, kept as the raw struct. Declared in restore
 * order (Firecracker's {@code Vcpu::restore_state}): MP state, registers, special registers (so EFER and CR4 are in
 * place before the MSRs and XSAVE that depend on them), FPU/XSAVE, XCRs, debug registers, LAPIC (after the VM's
 * irqchip), MSRs (after sregs, TSC before TSC_DEADLINE as KVM lists them), and pending events last.
 */
enum VcpuStatePart {
    MP_STATE(KvmH.KVM_GET_MP_STATE, KvmH.KVM_SET_MP_STATE, KvmMpState.LAYOUT.byteSize()),
    REGS(KvmH.KVM_GET_REGS, KvmH.KVM_SET_REGS, KvmRegs.LAYOUT.byteSize()),
    SREGS(KvmH.KVM_GET_SREGS, KvmH.KVM_SET_SREGS, KvmSregs.LAYOUT.byteSize()),
    /** Where KVM has no XSAVE: x87 and SSE only. */
    FPU(KvmH.KVM_GET_FPU, KvmH.KVM_SET_FPU, KvmFpu.LAYOUT.byteSize()),
    /** 4 KiB, or KVM_CAP_XSAVE2's size when the VM's features need more (then read with KVM_GET_XSAVE2). */
    XSAVE(KvmH.KVM_GET_XSAVE, KvmH.KVM_SET_XSAVE, -1),
    XCRS(KvmH.KVM_GET_XCRS, KvmH.KVM_SET_XCRS, KvmXcrs.LAYOUT.byteSize()),
    DEBUGREGS(KvmH.KVM_GET_DEBUGREGS, KvmH.KVM_SET_DEBUGREGS, KvmDebugregs.LAYOUT.byteSize()),
    LAPIC(KvmH.KVM_GET_LAPIC, KvmH.KVM_SET_LAPIC, KvmLapicState.LAYOUT.byteSize()),
    /** A {@code struct kvm_msrs} with every MSR of KVM_GET_MSR_INDEX_LIST that reads back on this vCPU. */
    MSRS(KvmH.KVM_GET_MSRS, KvmH.KVM_SET_MSRS, -1),
    VCPU_EVENTS(KvmH.KVM_GET_VCPU_EVENTS, KvmH.KVM_SET_VCPU_EVENTS, KvmVcpuEvents.LAYOUT.byteSize());

    static final long MSR_ENTRY_BYTES = KvmMsrEntry.LAYOUT.byteSize();

    final long get;
    final long set;
    private final long fixedBytes;

    VcpuStatePart(long get, long set, long fixedBytes) {
        this.get = get;
        this.set = set;
        this.fixedBytes = fixedBytes;
    }

    /** The parts this KVM can move: XSAVE or else FPU, and the optional ones its capabilities offer. */
    static Set<VcpuStatePart> available(Kvm kvm) {
        Set<VcpuStatePart> parts = EnumSet.of(MP_STATE, REGS, SREGS, LAPIC, MSRS);
        parts.add(kvm.checkExtension(KvmH.KVM_CAP_XSAVE) > 0 ? XSAVE : FPU);
        if (kvm.checkExtension(KvmH.KVM_CAP_XCRS) > 0) {
            parts.add(XCRS);
        }
        if (kvm.checkExtension(KvmH.KVM_CAP_DEBUGREGS) > 0) {
            parts.add(DEBUGREGS);
        }
        if (kvm.checkExtension(KvmH.KVM_CAP_VCPU_EVENTS) > 0) {
            parts.add(VCPU_EVENTS);
        }
        return parts;
    }

    /** The XSAVE buffer this VM uses: KVM_CAP_XSAVE2's answer on the VM where larger than the classic 4 KiB. */
    static int xsaveBytes(VmFd vm) {
        int xsave2 = vm.kvm().checkExtension(KvmH.KVM_CAP_XSAVE2) > 0 ? vm.checkExtension(KvmH.KVM_CAP_XSAVE2) : 0;
        return Math.max(xsave2, 4096);
    }

    /**
     * Whether {@code bytes} has the length this part must have here ({@code xsaveBytes} for XSAVE; for MSRS, the
     * header's count must match the entries that follow).
     */
    boolean fits(byte[] bytes, int xsaveBytes) {
        return switch (this) {
            case XSAVE -> bytes.length == xsaveBytes;
            case MSRS -> bytes.length >= KvmMsrs.entries$OFFSET
                    && (bytes.length - KvmMsrs.entries$OFFSET) % MSR_ENTRY_BYTES == 0
                    && msrCount(bytes) == (bytes.length - KvmMsrs.entries$OFFSET) / MSR_ENTRY_BYTES;
            default -> bytes.length == fixedBytes;
        };
    }

    /** The {@code nmsrs} of a {@code struct kvm_msrs} kept as bytes. */
    static long msrCount(byte[] msrs) {
        return Integer.toUnsignedLong(ByteBuffer.wrap(msrs).order(ByteOrder.nativeOrder()).getInt(0));
    }

    /** Reads this part of {@code vcpu}. */
    byte[] read(VcpuFd vcpu, int xsaveBytes, int[] msrIndices) {
        return switch (this) {
            case XSAVE -> {
                byte[] b = new byte[xsaveBytes];
                vcpu.stateIoctl(xsaveBytes > 4096 ? KvmH.KVM_GET_XSAVE2 : get, b, "KVM_GET_XSAVE");
                yield b;
            }
            case MSRS -> readMsrs(vcpu, msrIndices);
            default -> {
                byte[] b = new byte[(int) fixedBytes];
                vcpu.stateIoctl(get, b, "KVM_GET_" + name());
                yield b;
            }
        };
    }

    /** Writes {@code bytes} (checked by {@link #fits}) into {@code vcpu}. */
    void write(VcpuFd vcpu, byte[] bytes) {
        int done = vcpu.stateIoctl(set, bytes.clone(), "KVM_SET_" + name());
        if (this == MSRS && done != msrCount(bytes)) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
            int refused = b.getInt((int) (KvmMsrs.entries$OFFSET + done * MSR_ENTRY_BYTES));
            throw new KvmException("KVM_SET_MSRS(vCPU " + vcpu.id() + ") took " + done + " of " + msrCount(bytes)
                    + " MSRs; MSR 0x" + Integer.toHexString(refused) + " was refused");
        }
    }

    /**
     * KVM_GET_MSRS over {@code indices}. KVM stops at the first MSR it cannot read (one the list names but this vCPU's
     * CPUID does not have), so that one is dropped and the read goes on from the next.
     */
    private static byte[] readMsrs(VcpuFd vcpu, int[] indices) {
        int[] readable = indices.clone();
        int n = readable.length;
        byte[] msrs;
        while (true) {
            msrs = msrsStruct(readable, n);
            int done = vcpu.stateIoctl(KvmH.KVM_GET_MSRS, msrs, "KVM_GET_MSRS");
            if (done == n) {
                return msrs;
            }
            System.arraycopy(readable, done + 1, readable, done, n - done - 1);
            n--;
        }
    }

    private static byte[] msrsStruct(int[] indices, int n) {
        ByteBuffer b = ByteBuffer.allocate((int) (KvmMsrs.entries$OFFSET + n * MSR_ENTRY_BYTES)).order(ByteOrder.nativeOrder());
        b.putInt(0, n);
        for (int i = 0; i < n; i++) {
            b.putInt((int) (KvmMsrs.entries$OFFSET + i * MSR_ENTRY_BYTES + KvmMsrEntry.index$OFFSET), indices[i]);
        }
        return b.array();
    }
}
