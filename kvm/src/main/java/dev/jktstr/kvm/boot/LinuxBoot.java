package dev.jktstr.kvm.boot;

import dev.jktstr.bindings.bootparam.BootE820Entry;
import dev.jktstr.bindings.bootparam.BootParams;
import dev.jktstr.bindings.bootparam.BootparamH;
import dev.jktstr.bindings.bootparam.SetupHeader;
import dev.jktstr.kvm.GuestRam;
import dev.jktstr.kvm.LongMode;
import dev.jktstr.kvm.VirtualMachine;
import dev.jktstr.kvm.acpi.AcpiLayout;
import dev.jktstr.kvm.acpi.AcpiTables;
import dev.jktstr.kvm.acpi.FirmwareTable;
import dev.jktstr.kvm.acpi.MemoryAffinity;
import dev.jktstr.kvm.acpi.MpTable;
import dev.jktstr.machine.GuestMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Loads Linux into a {@link VirtualMachine} through the x86 64-bit boot protocol: kernel (bzImage
 * protected-mode part at 1 MiB, or vmlinux segments at their physical addresses), the zero page at
 * {@link #ZERO_PAGE} with the image's setup header, the command line, the initramfs as high as the
 * protocol allows, an E820 map with the legacy holes and the 3–4 GiB hole, ACPI tables (RSDP pointer in
 * the zero page) and the MP table; then sets the BSP's 64-bit entry. Secondary vCPUs are left waiting
 * for INIT/SIPI from the guest.
 */
public final class LinuxBoot {

    public static final long ZERO_PAGE = 0x7000;
    public static final long CMDLINE = 0x20000;
    public static final long CMDLINE_MAX = 0x10000;
    public static final long BOOT_STACK = 0x8FF0;
    public static final long BZIMAGE_LOAD = 0x100000;
    public static final long EBDA_START = 0x9FC00;
    public static final long BIOS_START = 0xE0000;
    public static final long HIGH_MEMORY = 0x100000;
    private static final int E820_RAM = 1;
    private static final int E820_RESERVED = 2;
    private static final long PAGE = 4096;

    /** Where things went, for tests and logs. */
    public record Loaded(long entry, long kernelStart, long kernelEnd, long initrdAddress, long initrdSize, int e820Entries,
                         long rsdpAddress) {}

    private LinuxBoot() {
    }

    /**
     * Loads {@code kernel} (and {@code initrd}) with {@code cmdline}; the VM must not be started yet.
     *
     * @throws KernelLoadException when RAM is too small or the command line too long, saying how much is needed
     */
    public static Loaded load(VirtualMachine vm, LoadableKernel kernel, Optional<byte[]> initrd, String cmdline) {
        GuestMemory memory = vm.memory();
        long lowRamEnd = memory.ramRanges().getFirst().end();
        byte[] cmd = (cmdline + "\0").getBytes(StandardCharsets.US_ASCII);
        long cmdlineLimit = kernel instanceof LoadableKernel.BzImage bz && bz.cmdlineSize() > 0
                ? Math.min(bz.cmdlineSize() + 1, CMDLINE_MAX) : 2048;
        if (cmd.length > cmdlineLimit) {
            throw new KernelLoadException("the kernel command line is " + (cmd.length - 1) + " bytes; this kernel takes at most "
                    + (cmdlineLimit - 1));
        }

        long entry;
        long kernelStart;
        long kernelEnd;
        switch (kernel) {
            case LoadableKernel.BzImage bz -> {
                kernelStart = BZIMAGE_LOAD;
                // The decompressor works in [max(load, pref_address), + init_size).
                kernelEnd = Math.max(BZIMAGE_LOAD + bz.payload().length, Math.max(BZIMAGE_LOAD, bz.prefAddress()) + bz.initSize());
                requireRam(kernel, kernelEnd, lowRamEnd, initrd, memory);
                memory.writeBytes(BZIMAGE_LOAD, bz.payload());
                entry = BZIMAGE_LOAD + 0x200; // startup_64
            }
            case LoadableKernel.Elf elf -> {
                kernelStart = elf.lowestAddress();
                kernelEnd = elf.highestAddress();
                if (kernelStart < HIGH_MEMORY) {
                    throw new KernelLoadException(elf.path() + " loads at 0x" + Long.toHexString(kernelStart)
                            + ", below 1 MiB where the zero page and page tables live; link it at 1 MiB or higher");
                }
                requireRam(kernel, kernelEnd, lowRamEnd, initrd, memory);
                for (LoadableKernel.Segment s : elf.segments()) {
                    memory.writeBytes(s.physAddress(), s.data());
                    long bss = s.memSize() - s.data().length;
                    if (bss > 0) {
                        memory.segment(s.physAddress() + s.data().length, bss).fill((byte) 0);
                    }
                }
                entry = elf.entry();
            }
        }

        long initrdAddress = 0;
        long initrdSize = 0;
        if (initrd.isPresent()) {
            byte[] rd = initrd.get();
            long max = kernel instanceof LoadableKernel.BzImage bz && bz.initrdAddrMax() > 0 ? bz.initrdAddrMax() + 1 : 1L << 31;
            long top = Math.min(lowRamEnd, max);
            initrdAddress = (top - rd.length) & ~(PAGE - 1);
            initrdSize = rd.length;
            memory.writeBytes(initrdAddress, rd);
        }
        memory.writeBytes(CMDLINE, cmd);

        AcpiTables acpi = AcpiLayout.builder(vm.topology()).memory(affinities(vm.ram())).devices(vm.acpiDevices()).build();
        for (FirmwareTable t : acpi.tables()) {
            memory.writeBytes(t.address(), t.bytes());
        }
        if (vm.topology().maxApicId() <= 254) {
            FirmwareTable mp = MpTable.build(vm.topology());
            memory.writeBytes(mp.address(), mp.bytes());
        }

        int e820;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bp = arena.allocate(BootParams.LAYOUT);
            MemorySegment hdr = BootParams.hdr(bp);
            byte[] header = switch (kernel) {
                case LoadableKernel.BzImage bz -> bz.setupHeader();
                case LoadableKernel.Elf elf -> elf.setupHeader();
            };
            if (header.length > 0) {
                MemorySegment.copy(header, 0, bp, ValueLayout.JAVA_BYTE, BootParams.hdr$OFFSET,
                        (int) Math.min(header.length, SetupHeader.LAYOUT.byteSize()));
            } else {
                SetupHeader.boot_flag(hdr, (short) 0xAA55);
                SetupHeader.header(hdr, LoadableKernel.HDRS_MAGIC);
                SetupHeader.kernel_alignment(hdr, 0x100_0000);
            }
            SetupHeader.type_of_loader(hdr, (byte) 0xFF);
            SetupHeader.loadflags(hdr, (byte) (SetupHeader.loadflags(hdr) | BootparamH.CAN_USE_HEAP | BootparamH.LOADED_HIGH));
            SetupHeader.heap_end_ptr(hdr, (short) 0xFE00);
            SetupHeader.cmd_line_ptr(hdr, (int) CMDLINE);
            SetupHeader.cmdline_size(hdr, cmd.length - 1);
            SetupHeader.ramdisk_image(hdr, (int) initrdAddress);
            SetupHeader.ramdisk_size(hdr, (int) initrdSize);
            BootParams.acpi_rsdp_addr(bp, acpi.rsdpAddress());
            e820 = writeE820(bp, memory);
            memory.writeBytes(ZERO_PAGE, bp.toArray(ValueLayout.JAVA_BYTE));
        }
        vm.setEntry(0, entry, BOOT_STACK, ZERO_PAGE);
        for (int cpu = 0; cpu < vm.vcpuCount(); cpu++) {
            // Our ACPI platform is hardware-reduced: Linux neither programs nor masks the 8259, yet KVM's PIC
            // sees every GSI below 16. With LINT0 open it would inject ExtINT vectors 0-15 (exceptions).
            LongMode.maskLint0(vm.vcpu(cpu));
        }
        return new Loaded(entry, kernelStart, kernelEnd, initrdAddress, initrdSize, e820, acpi.rsdpAddress());
    }

    private static void requireRam(LoadableKernel kernel, long kernelEnd, long lowRamEnd, Optional<byte[]> initrd,
                                   GuestMemory memory) {
        long need = kernelEnd + initrd.map(b -> (long) b.length + PAGE).orElse(0L);
        if (need > lowRamEnd) {
            long mib = (need + (1 << 20) - 1 >> 20) + 16;
            throw new KernelLoadException(String.format("%s needs RAM up to %d MiB (kernel until 0x%x%s), but the guest has %d MiB"
                    + " below the 3 GiB hole; give the machine at least %d MiB", kernel instanceof LoadableKernel.BzImage b ? b.path()
                    : ((LoadableKernel.Elf) kernel).path(), need >> 20, kernelEnd,
                    initrd.map(b -> String.format(" + %d KiB initramfs", b.length >> 10)).orElse(""), lowRamEnd >> 20, mib));
        }
    }

    private static List<MemoryAffinity> affinities(GuestRam ram) {
        List<MemoryAffinity> out = new ArrayList<>();
        for (GuestRam.Region r : ram.regions()) {
            out.add(new MemoryAffinity(r.gpa(), r.size(), r.node()));
        }
        return out;
    }

    /** E820: low RAM below the EBDA, the BIOS area reserved, RAM from 1 MiB, the rest of RAM around the hole. */
    static int writeE820(MemorySegment bp, GuestMemory memory) {
        List<long[]> entries = new ArrayList<>();
        for (GuestMemory.Range r : memory.ramRanges()) {
            long start = r.start();
            long end = r.end();
            if (start < EBDA_START) {
                entries.add(new long[] {start, Math.min(end, EBDA_START) - start, E820_RAM});
                if (end > HIGH_MEMORY) {
                    entries.add(new long[] {EBDA_START, 0xA0000 - EBDA_START, E820_RESERVED});
                    entries.add(new long[] {BIOS_START, HIGH_MEMORY - BIOS_START, E820_RESERVED});
                    entries.add(new long[] {HIGH_MEMORY, end - HIGH_MEMORY, E820_RAM});
                }
            } else {
                entries.add(new long[] {start, end - start, E820_RAM});
            }
        }
        if (entries.size() > BootparamH.E820_MAX_ENTRIES_ZEROPAGE) {
            throw new KernelLoadException("guest memory has " + entries.size() + " E820 ranges, the zero page holds "
                    + BootparamH.E820_MAX_ENTRIES_ZEROPAGE);
        }
        for (int i = 0; i < entries.size(); i++) {
            MemorySegment e = BootParams.e820_table(bp, i);
            BootE820Entry.addr(e, entries.get(i)[0]);
            BootE820Entry.size(e, entries.get(i)[1]);
            BootE820Entry.type(e, (int) entries.get(i)[2]);
        }
        BootParams.e820_entries(bp, (byte) entries.size());
        return entries.size();
    }
}
