package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmDtable;
import dev.jktstr.bindings.kvm.KvmRegs;
import dev.jktstr.bindings.kvm.KvmSegment;
import dev.jktstr.bindings.kvm.KvmSregs;
import dev.jktstr.machine.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 64-bit entry state the VMM builds (as Firecracker's {@code arch/x86_64/regs.rs}): a GDT with
 * flat 64-bit code and data segments and a TSS, identity page tables mapping the low 4 GiB with 2 MiB
 * pages, and the sregs, regs, FPU, MSRs and LAPIC LVTs a vCPU needs to start at a 64-bit entry point.
 * Linux's 64-bit boot protocol and the test guests both start here.
 */
public final class LongMode {

    public static final long GDT_ADDRESS = 0x500;
    public static final long IDT_ADDRESS = 0x520;
    public static final long PML4_ADDRESS = 0x9000;
    public static final long PDPT_ADDRESS = 0xA000;
    /** Four page directories, 0xB000–0xEFFF, one per GiB. */
    public static final long PD_ADDRESS = 0xB000;
    /** Page-table memory ends here; the zero page sits below at 0x7000. */
    public static final long PAGE_TABLES_END = 0xF000;

    public static final int CODE_SELECTOR = 0x08;
    public static final int DATA_SELECTOR = 0x10;
    public static final int TSS_SELECTOR = 0x18;

    static final long[] GDT = {
        0L, // null
        0x00AF_9B00_0000_FFFFL, // 64-bit code: present, DPL 0, execute/read, accessed, L, G
        0x00CF_9300_0000_FFFFL, // data: present, read/write, accessed, D/B, G
        0x0080_8B00_0000_FFFFL, // TSS: present, busy 64-bit TSS
    };

    private static final long CR0_PE = 1;
    private static final long CR0_ET = 1 << 4;
    private static final long CR0_NE = 1 << 5;
    private static final long CR0_PG = 1L << 31;
    private static final long CR4_PAE = 1 << 5;
    private static final long EFER_LME = 1 << 8;
    private static final long EFER_LMA = 1 << 10;

    private LongMode() {
    }

    /** Writes the GDT, an empty IDT and identity page tables for 0–4 GiB into guest RAM. */
    public static void writeTables(GuestMemory memory) {
        for (int i = 0; i < GDT.length; i++) {
            memory.writeLong(GDT_ADDRESS + 8L * i, GDT[i]);
        }
        memory.writeLong(IDT_ADDRESS, 0);
        memory.writeLong(PML4_ADDRESS, PDPT_ADDRESS | 0x3); // present, writable
        for (int gib = 0; gib < 4; gib++) {
            long pd = PD_ADDRESS + 0x1000L * gib;
            memory.writeLong(PDPT_ADDRESS + 8L * gib, pd | 0x3);
            byte[] entries = new byte[4096];
            MemorySegment s = MemorySegment.ofArray(entries);
            for (int i = 0; i < 512; i++) {
                long phys = ((long) gib << 30) + ((long) i << 21);
                s.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * i, phys | 0x83); // present, writable, 2 MiB page
            }
            memory.writeBytes(pd, entries);
        }
    }

    /** Puts {@code vcpu} in 64-bit mode at {@code rip} with {@code rsp} and {@code rsi} (the zero page for Linux). */
    public static void enter(VcpuFd vcpu, long rip, long rsp, long rsi) {
        vcpu.updateSregs(s -> {
            code(KvmSregs.cs(s));
            for (MemorySegment seg : new MemorySegment[] {KvmSregs.ds(s), KvmSregs.es(s), KvmSregs.fs(s), KvmSregs.gs(s),
                KvmSregs.ss(s)}) {
                data(seg);
            }
            MemorySegment tr = KvmSregs.tr(s);
            segment(tr, TSS_SELECTOR, 11, 0, 0);
            KvmSegment.s(tr, (byte) 0);
            MemorySegment gdt = KvmSregs.gdt(s);
            KvmDtable.base(gdt, GDT_ADDRESS);
            KvmDtable.limit(gdt, (short) (GDT.length * 8 - 1));
            MemorySegment idt = KvmSregs.idt(s);
            KvmDtable.base(idt, IDT_ADDRESS);
            KvmDtable.limit(idt, (short) 7);
            KvmSregs.cr3(s, PML4_ADDRESS);
            KvmSregs.cr4(s, KvmSregs.cr4(s) | CR4_PAE);
            KvmSregs.cr0(s, KvmSregs.cr0(s) | CR0_PE | CR0_ET | CR0_NE | CR0_PG);
            KvmSregs.efer(s, KvmSregs.efer(s) | EFER_LME | EFER_LMA);
        });
        vcpu.updateRegs(r -> {
            r.fill((byte) 0);
            KvmRegs.rflags(r, 0x2);
            KvmRegs.rip(r, rip);
            KvmRegs.rsp(r, rsp);
            KvmRegs.rbp(r, rsp);
            KvmRegs.rsi(r, rsi);
        });
        vcpu.resetFpu();
    }

    /** MSRs a 64-bit kernel expects cleared or set at entry (Firecracker's list); fast strings on. */
    public static void setBootMsrs(VcpuFd vcpu) {
        vcpu.setMsrs(
                0x174, 0, // IA32_SYSENTER_CS
                0x175, 0, // IA32_SYSENTER_ESP
                0x176, 0, // IA32_SYSENTER_EIP
                0xC0000081L, 0, // STAR
                0xC0000083L, 0, // CSTAR
                0xC0000102L, 0, // KERNEL_GS_BASE
                0xC0000084L, 0, // SYSCALL_MASK
                0xC0000082L, 0, // LSTAR
                0x1A0, 1); // IA32_MISC_ENABLE: fast strings
    }

    /** LAPIC LINT0 = ExtINT (the PIC's output reaches the CPU) and LINT1 = NMI, as a PC BIOS leaves them. */
    public static void setupLapicLvts(VcpuFd vcpu) {
        vcpu.updateLapic(lapic -> {
            int lint0 = lapic.get(ValueLayout.JAVA_INT_UNALIGNED, 0x350);
            int lint1 = lapic.get(ValueLayout.JAVA_INT_UNALIGNED, 0x360);
            lapic.set(ValueLayout.JAVA_INT_UNALIGNED, 0x350, (lint0 & ~0x10700) | 0x700); // ExtINT, unmasked
            lapic.set(ValueLayout.JAVA_INT_UNALIGNED, 0x360, (lint1 & ~0x10700) | 0x400); // NMI, unmasked
        });
    }

    /** Masks LAPIC LINT0: the 8259's output no longer reaches this CPU. */
    public static void maskLint0(VcpuFd vcpu) {
        vcpu.updateLapic(lapic -> lapic.set(ValueLayout.JAVA_INT_UNALIGNED, 0x350,
                lapic.get(ValueLayout.JAVA_INT_UNALIGNED, 0x350) | 0x10000));
    }

    private static void code(MemorySegment seg) {
        segment(seg, CODE_SELECTOR, 11, 0, 1);
    }

    private static void data(MemorySegment seg) {
        segment(seg, DATA_SELECTOR, 3, 1, 0);
    }

    private static void segment(MemorySegment seg, int selector, int type, int db, int l) {
        KvmSegment.base(seg, 0);
        KvmSegment.limit(seg, 0xFFFF_FFFF);
        KvmSegment.selector(seg, (short) selector);
        KvmSegment.type(seg, (byte) type);
        KvmSegment.present(seg, (byte) 1);
        KvmSegment.dpl(seg, (byte) 0);
        KvmSegment.db(seg, (byte) db);
        KvmSegment.s(seg, (byte) 1);
        KvmSegment.l(seg, (byte) l);
        KvmSegment.g(seg, (byte) 1);
        KvmSegment.unusable(seg, (byte) 0);
    }
}
