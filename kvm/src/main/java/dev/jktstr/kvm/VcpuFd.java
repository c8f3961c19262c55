package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmCpuid2;
import dev.jktstr.bindings.kvm.KvmCpuidEntry2;
import dev.jktstr.bindings.kvm.KvmDtable;
import dev.jktstr.bindings.kvm.KvmFpu;
import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmLapicState;
import dev.jktstr.bindings.kvm.KvmMpState;
import dev.jktstr.bindings.kvm.KvmMsrEntry;
import dev.jktstr.bindings.kvm.KvmMsrs;
import dev.jktstr.bindings.kvm.KvmRegs;
import dev.jktstr.bindings.kvm.KvmRun;
import dev.jktstr.bindings.kvm.KvmSegment;
import dev.jktstr.bindings.kvm.KvmSregs;
import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.x86.CpuidEntry;
import dev.jktstr.machine.VcpuRegisters;
import dev.jktstr.nativeio.FileDescriptor;
import dev.jktstr.nativeio.Mmap;
import dev.jktstr.nativeio.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A vCPU file descriptor and its shared {@code kvm_run} area. {@link #run()} is KVM_RUN, answering a
 * {@link VcpuExit}; the state accessors copy registers in and out through the generated structs.
 * Register access from another thread is safe while the vCPU is out of KVM_RUN (KVM serializes on the
 * vCPU mutex).
 */
public final class VcpuFd implements AutoCloseable {

    private final int id;
    private final FileDescriptor fd;
    private final Mmap runArea;

    private VcpuFd(int id, FileDescriptor fd, Mmap runArea) {
        this.id = id;
        this.fd = fd;
        this.runArea = runArea;
    }

    static VcpuFd create(int id, FileDescriptor fd, long mmapSize) {
        try {
            Mmap run = Mmap.of(fd, mmapSize, LibcH.PROT_READ | LibcH.PROT_WRITE, LibcH.MAP_SHARED, 0);
            return new VcpuFd(id, fd, run);
        } catch (RuntimeException e) {
            fd.close();
            throw e instanceof NativeException n ? new KvmCallException("mmap(kvm_run of vCPU " + id + ")", n) : e;
        }
    }

    /** The vCPU id given to KVM_CREATE_VCPU (the APIC id). */
    public int id() {
        return id;
    }

    /** The shared {@code struct kvm_run}, where PIO and MMIO exits keep their data. */
    public MemorySegment runArea() {
        return runArea.segment();
    }

    /**
     * KVM_RUN: the exit decoded from {@code kvm_run}, or {@link VcpuExit.Interrupted} when a signal or
     * {@code immediate_exit} stopped it first (EINTR).
     */
    public VcpuExit run() {
        try {
            fd.ioctl(KvmH.KVM_RUN);
        } catch (NativeException e) {
            if (e.errno() == LibcH.EINTR || e.errno() == LibcH.EAGAIN) {
                return new VcpuExit.Interrupted();
            }
            throw new KvmCallException("KVM_RUN(vCPU " + id + ")", e);
        }
        return VcpuExit.decode(runArea.segment());
    }

    /** Sets {@code kvm_run.immediate_exit}: while 1, KVM_RUN returns EINTR at once. */
    public void immediateExit(boolean on) {
        KvmRun.immediate_exit(runArea.segment(), (byte) (on ? 1 : 0));
    }

    public MemorySegment regs(Arena arena) {
        return get(arena, KvmRegs.LAYOUT.byteSize(), KvmH.KVM_GET_REGS, "KVM_GET_REGS");
    }

    public void setRegs(MemorySegment regs) {
        set(regs, KvmH.KVM_SET_REGS, "KVM_SET_REGS");
    }

    public MemorySegment sregs(Arena arena) {
        return get(arena, KvmSregs.LAYOUT.byteSize(), KvmH.KVM_GET_SREGS, "KVM_GET_SREGS");
    }

    public void setSregs(MemorySegment sregs) {
        set(sregs, KvmH.KVM_SET_SREGS, "KVM_SET_SREGS");
    }

    /** Reads, edits and writes back the general registers. */
    public void updateRegs(Consumer<MemorySegment> edit) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = regs(arena);
            edit.accept(r);
            setRegs(r);
        }
    }

    /** Reads, edits and writes back the special registers. */
    public void updateSregs(Consumer<MemorySegment> edit) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = sregs(arena);
            edit.accept(s);
            setSregs(s);
        }
    }

    /**
     * General, control and segment-base registers, EFER and the syscall MSRs, as the Machine SPI reports
     * them for CPU {@code cpu} (the dense id, not the APIC id). Only while the vCPU is out of KVM_RUN.
     */
    public VcpuRegisters registers(int cpu) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = regs(arena);
            MemorySegment s = sregs(arena);
            Map<String, Long> all = new LinkedHashMap<>();
            String[] names = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RSP", "RBP", "R8", "R9", "R10", "R11", "R12", "R13",
                "R14", "R15", "RIP", "RFLAGS"};
            for (int i = 0; i < names.length; i++) {
                all.put(names[i], r.get(ValueLayout.JAVA_LONG, 8L * i));
            }
            all.put("CR0", KvmSregs.cr0(s));
            all.put("CR2", KvmSregs.cr2(s));
            all.put("CR3", KvmSregs.cr3(s));
            all.put("CR4", KvmSregs.cr4(s));
            all.put("CR8", KvmSregs.cr8(s));
            all.put("EFER", KvmSregs.efer(s));
            all.put("APIC_BASE", KvmSregs.apic_base(s));
            all.put("CS", (long) KvmSegment.selector(KvmSregs.cs(s)) & 0xFFFF);
            all.put("FS_BASE", KvmSegment.base(KvmSregs.fs(s)));
            all.put("GS_BASE", KvmSegment.base(KvmSregs.gs(s)));
            all.put("GDT_BASE", KvmDtable.base(KvmSregs.gdt(s)));
            all.put("IDT_BASE", KvmDtable.base(KvmSregs.idt(s)));
            msr(0xC0000082).ifPresent(x -> all.put("LSTAR", x));
            msr(0xC0000102).ifPresent(x -> all.put("KERNEL_GS_BASE", x));
            return new VcpuRegisters(cpu, KvmRegs.rip(r), KvmRegs.rsp(r), KvmRegs.rflags(r), KvmSregs.cr0(s),
                    KvmSregs.cr2(s), KvmSregs.cr3(s), KvmSregs.cr4(s), all);
        }
    }

    public void setFpu(MemorySegment fpu) {
        set(fpu, KvmH.KVM_SET_FPU, "KVM_SET_FPU");
    }

    /** A default x87/SSE state: FCW 0x37F, MXCSR 0x1F80 (what the CPU has after FNINIT). */
    public void resetFpu() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fpu = arena.allocate(KvmFpu.LAYOUT);
            KvmFpu.fcw(fpu, (short) 0x37F);
            KvmFpu.mxcsr(fpu, 0x1F80);
            setFpu(fpu);
        }
    }

    /** KVM_SET_CPUID2. */
    public void setCpuid(List<CpuidEntry> entries) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpuid = arena.allocate(KvmCpuid2.LAYOUT.byteSize() + entries.size() * KvmCpuidEntry2.LAYOUT.byteSize(), 8);
            KvmCpuid2.nent(cpuid, entries.size());
            for (int i = 0; i < entries.size(); i++) {
                CpuidEntry c = entries.get(i);
                MemorySegment e = KvmCpuid2.entries(cpuid, i);
                KvmCpuidEntry2.function(e, c.function());
                KvmCpuidEntry2.index(e, c.index());
                KvmCpuidEntry2.flags(e, c.flags());
                KvmCpuidEntry2.eax(e, c.eax());
                KvmCpuidEntry2.ebx(e, c.ebx());
                KvmCpuidEntry2.ecx(e, c.ecx());
                KvmCpuidEntry2.edx(e, c.edx());
            }
            fd.ioctl(KvmH.KVM_SET_CPUID2, cpuid);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_SET_CPUID2(vCPU " + id + ", " + entries.size() + " entries)", e);
        }
    }

    /** KVM_SET_MSRS with {@code index, value} pairs; throws if KVM took fewer than all. */
    public void setMsrs(long... indexValuePairs) {
        int n = indexValuePairs.length / 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msrs = arena.allocate(KvmMsrs.LAYOUT.byteSize() + n * KvmMsrEntry.LAYOUT.byteSize(), 8);
            KvmMsrs.nmsrs(msrs, n);
            for (int i = 0; i < n; i++) {
                MemorySegment e = msrs.asSlice(KvmMsrs.entries$OFFSET + i * KvmMsrEntry.LAYOUT.byteSize(), KvmMsrEntry.LAYOUT);
                KvmMsrEntry.index(e, (int) indexValuePairs[2 * i]);
                KvmMsrEntry.data(e, indexValuePairs[2 * i + 1]);
            }
            int done = fd.ioctl(KvmH.KVM_SET_MSRS, msrs);
            if (done != n) {
                throw new KvmException("KVM_SET_MSRS(vCPU " + id + ") set " + done + " of " + n + " MSRs; MSR 0x"
                        + Long.toHexString(indexValuePairs[2 * done]) + " was refused");
            }
        } catch (NativeException e) {
            throw new KvmCallException("KVM_SET_MSRS(vCPU " + id + ")", e);
        }
    }

    /** KVM_GET_MSRS of one MSR; empty when KVM does not know it. */
    public java.util.OptionalLong msr(int index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msrs = arena.allocate(KvmMsrs.LAYOUT.byteSize() + KvmMsrEntry.LAYOUT.byteSize(), 8);
            KvmMsrs.nmsrs(msrs, 1);
            MemorySegment e = msrs.asSlice(KvmMsrs.entries$OFFSET, KvmMsrEntry.LAYOUT);
            KvmMsrEntry.index(e, index);
            int done = fd.ioctl(KvmH.KVM_GET_MSRS, msrs);
            return done == 1 ? java.util.OptionalLong.of(KvmMsrEntry.data(e)) : java.util.OptionalLong.empty();
        } catch (NativeException e) {
            throw new KvmCallException("KVM_GET_MSRS(vCPU " + id + ")", e);
        }
    }

    /** KVM_GET_LAPIC, edit the 1 KiB register page, KVM_SET_LAPIC. */
    public void updateLapic(Consumer<MemorySegment> edit) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lapic = get(arena, KvmLapicState.LAYOUT.byteSize(), KvmH.KVM_GET_LAPIC, "KVM_GET_LAPIC");
            edit.accept(lapic);
            set(lapic, KvmH.KVM_SET_LAPIC, "KVM_SET_LAPIC");
        }
    }

    /** KVM_GET_MP_STATE: {@code KVM_MP_STATE_*}. */
    public int mpState() {
        try (Arena arena = Arena.ofConfined()) {
            return KvmMpState.mp_state(get(arena, KvmMpState.LAYOUT.byteSize(), KvmH.KVM_GET_MP_STATE, "KVM_GET_MP_STATE"));
        }
    }

    /** KVM_SET_MP_STATE. */
    public void setMpState(int state) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = arena.allocate(KvmMpState.LAYOUT);
            KvmMpState.mp_state(mp, state);
            set(mp, KvmH.KVM_SET_MP_STATE, "KVM_SET_MP_STATE");
        }
    }

    private MemorySegment get(Arena arena, long size, long request, String name) {
        MemorySegment out = arena.allocate(size, 8);
        try {
            fd.ioctl(request, out);
        } catch (NativeException e) {
            throw new KvmCallException(name + "(vCPU " + id + ")", e);
        }
        return out;
    }

    private void set(MemorySegment in, long request, String name) {
        try {
            fd.ioctl(request, in);
        } catch (NativeException e) {
            throw new KvmCallException(name + "(vCPU " + id + ")", e);
        }
    }

    /** A state ioctl on {@code struct} (see {@link StateIoctl}); returns what the ioctl returns. */
    int stateIoctl(long request, byte[] struct, String name) {
        return StateIoctl.call(fd, request, struct, name + "(vCPU " + id + ")");
    }

    /** Unmaps kvm_run and closes the descriptor; idempotent. */
    @Override
    public void close() {
        runArea.close();
        fd.close();
    }
}
