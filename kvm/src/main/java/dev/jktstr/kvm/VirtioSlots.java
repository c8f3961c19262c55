package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.VirtualMachine.VirtioSlot;
import dev.jktstr.kvm.acpi.AcpiDevice;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.nativeio.EventFd;
import dev.jktstr.virtio.VirtioDevice;
import dev.jktstr.virtio.VirtioMmioDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * The virtio-mmio slots (Firecracker's {@code MMIODeviceManager}): slot n has its register window at
 * {@link X86Layout#VIRTIO_MMIO_BASE} + n × {@link X86Layout#VIRTIO_MMIO_STRIDE} and ISA interrupt
 * {@link X86Layout#virtioIrq}(n). The interrupt is an irqfd; QueueNotify is an ioeventfd where KVM offers
 * one, so a notify wakes the device's worker without an exit to user space. Owns the devices plugged.
 */
final class VirtioSlots implements AutoCloseable {

    private final Kvm kvm;
    private final VmFd vm;
    private final GuestRam ram;
    private final Bus mmio;
    private final List<VirtioSlot> slots = new ArrayList<>();
    private final List<EventFd> eventFds = new ArrayList<>();

    VirtioSlots(Kvm kvm, VmFd vm, GuestRam ram, Bus mmio) {
        this.kvm = kvm;
        this.vm = vm;
        this.ram = ram;
        this.mmio = mmio;
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
        // The whole page: the device itself reads 0 and ignores writes past its register window.
        mmio.register(base, X86Layout.VIRTIO_MMIO_STRIDE, new BusDevice() {
            @Override
            public long read(long offset, int size) {
                return mmioDevice.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                mmioDevice.write(offset, size, value);
            }
        });
        VirtioSlot slot = new VirtioSlot(mmioDevice, base, irq);
        slots.add(slot);
        return slot;
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

    /** Closes the eventfds. */
    @Override
    public void close() {
        eventFds.forEach(EventFd::close);
    }
}
