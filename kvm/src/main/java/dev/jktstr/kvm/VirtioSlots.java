package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.VirtualMachine.VirtioSlot;
import dev.jktstr.kvm.acpi.AcpiDevice;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.nativeio.EventFd;
import dev.jktstr.nativeio.Mmap;
import dev.jktstr.nativeio.NativeException;
import dev.jktstr.virtio.VirtioDevice;
import dev.jktstr.virtio.VirtioMmioDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * The virtio-mmio slots (Firecracker's {@code MMIODeviceManager}): slot n has its register window at
 * {@link X86Layout#VIRTIO_MMIO_BASE} + n × {@link X86Layout#VIRTIO_MMIO_STRIDE} and ISA interrupt
 * {@link X86Layout#virtioIrq}(n). The interrupt is an irqfd; QueueNotify is an ioeventfd where KVM offers
 * one, so a notify wakes the device's worker without an exit to user space. Where KVM also offers read-only memory
 * slots, the window is one: a page the device keeps holding what every register reads
 * ({@link VirtioMmioDevice#mirrorReadsInto}), so the guest's reads never exit, and InterruptACK is an ioeventfd nobody
 * reads. Linux's virtio-mmio interrupt handler reads InterruptStatus and writes InterruptACK: two exits to user space
 * per interrupt, which under nested KVM cost more than the rest of an agent round trip. The status then keeps its
 * bits until a reset (see the device). {@value #MIRROR_PROPERTY}{@code =false} turns this off. Owns the devices
 * plugged.
 */
final class VirtioSlots implements AutoCloseable {
    /** System property: {@code false} serves register reads by exits, as without read-only memory slots. */
    static final String MIRROR_PROPERTY = "jktstr.kvm.virtioReadMirror";

    private final Kvm kvm;
    private final VmFd vm;
    private final GuestRam ram;
    private final Bus mmio;
    private final List<VirtioSlot> slots = new ArrayList<>();
    private final List<EventFd> eventFds = new ArrayList<>();
    private final List<Mmap> mirrors = new ArrayList<>();
    private final boolean mirrorReads;

    VirtioSlots(Kvm kvm, VmFd vm, GuestRam ram, Bus mmio) {
        this.kvm = kvm;
        this.vm = vm;
        this.ram = ram;
        this.mmio = mmio;
        this.mirrorReads = Boolean.parseBoolean(System.getProperty(MIRROR_PROPERTY, "true"))
                && kvm.checkExtension(KvmH.KVM_CAP_READONLY_MEM) > 0 && kvm.checkExtension(KvmH.KVM_CAP_IOEVENTFD) > 0;
    }

    /** Whether register reads come from read-only mirror pages (no exit) rather than exits. */
    boolean mirrorsReads() {
        return mirrorReads;
    }

    /** Plugs {@code device} into the next free slot; closes it when that fails. */
    VirtioSlot add(String name, VirtioDevice device) {
        int index = slots.size();
        if (index >= X86Layout.VIRTIO_SLOTS) {
            device.close();
            throw new KvmException("at most " + X86Layout.VIRTIO_SLOTS + " virtio devices per VM; " + name + " is one too many");
        }
        try {
            return plug(name, device, index);
        } catch (RuntimeException e) {
            device.close(); // owned from the call on, also when plugging it fails
            throw e;
        }
    }

    private VirtioSlot plug(String name, VirtioDevice device, int index) {
        long base = X86Layout.VIRTIO_MMIO_BASE + index * X86Layout.VIRTIO_MMIO_STRIDE;
        int irq = X86Layout.virtioIrq(index);
        EventFd interrupt = EventFd.create(0, LibcH.EFD_NONBLOCK);
        eventFds.add(interrupt);
        vm.registerIrqfd(interrupt, irq);
        // The doorbell blocks its worker in read(2): a blocking eventfd.
        EventFd notify = EventFd.create(0, 0);
        eventFds.add(notify);
        if (kvm.checkExtension(KvmH.KVM_CAP_IOEVENTFD) > 0) {
            vm.registerIoeventfd(notify, base + VirtioMmioDevice.QUEUE_NOTIFY_OFFSET, 4);
        }
        VirtioMmioDevice mmioDevice = new VirtioMmioDevice(name, device, ram.memory(), () -> interrupt.signal(1),
                new EventFdDoorbell(notify));
        if (mirrorReads) {
            mirror(mmioDevice, base, index);
        }
        // The whole page: the device itself reads 0 and ignores writes past its register window.
        java.util.concurrent.atomic.LongAdder readExits = new java.util.concurrent.atomic.LongAdder();
        mmio.register(base, X86Layout.VIRTIO_MMIO_STRIDE, new BusDevice() {
            @Override
            public long read(long offset, int size) {
                readExits.increment();
                return mmioDevice.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                mmioDevice.write(offset, size, value);
            }
        });
        VirtioSlot slot = new VirtioSlot(mmioDevice, base, irq, readExits);
        slots.add(slot);
        return slot;
    }

    /** Maps a read-only page the device keeps current over the window, and swallows InterruptACK in the kernel. */
    private void mirror(VirtioMmioDevice device, long base, int index) {
        Mmap page;
        try {
            page = Mmap.anonymous(X86Layout.VIRTIO_MMIO_STRIDE, LibcH.PROT_READ | LibcH.PROT_WRITE, LibcH.MAP_PRIVATE);
        } catch (NativeException e) {
            throw new KvmCallException("mapping the register page of virtio slot " + index, e);
        }
        mirrors.add(page);
        device.mirrorReadsInto(page.segment()); // before the guest can see it
        // memory slots after guest RAM's, one per virtio slot
        vm.setMemoryRegion(ram.regions().size() + index, base, page.segment(), (int) KvmH.KVM_MEM_READONLY);
        EventFd ack = EventFd.create(0, LibcH.EFD_NONBLOCK);
        eventFds.add(ack);
        vm.registerIoeventfd(ack, base + VirtioMmioDevice.INTERRUPT_ACK_OFFSET, 4);
    }

    /** The slots filled so far, in order. */
    List<VirtioSlot> slots() {
        return List.copyOf(slots);
    }

    /** The {@code virtio_mmio.device=} arguments of every slot, space-separated. */
    String commandLine() {
        return String.join(" ", slots.stream().map(VirtioSlot::commandLineArg).toList());
    }

    /** Every slot as the DSDT declares it. */
    List<AcpiDevice> acpiDevices() {
        List<AcpiDevice> out = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
            VirtioSlot slot = slots.get(i);
            out.add(new AcpiDevice.VirtioMmio(i, slot.base(), X86Layout.VIRTIO_MMIO_STRIDE, slot.irq()));
        }
        return out;
    }

    /** Starts the device workers. */
    void start() {
        for (VirtioSlot slot : slots) {
            slot.device().start();
        }
    }

    /** Closes the devices; false when a worker is still alive (and may still touch guest RAM). */
    boolean closeDevices() {
        for (VirtioSlot slot : slots) {
            slot.device().close();
        }
        return slots.stream().noneMatch(slot -> slot.device().workerAlive());
    }

    /** Closes the eventfds and unmaps the register pages (after the vCPUs and workers have stopped). */
    @Override
    public void close() {
        eventFds.forEach(EventFd::close);
        mirrors.forEach(Mmap::close);
    }
}
