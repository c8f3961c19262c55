package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmClockData;
import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmIoeventfd;
import dev.jktstr.bindings.kvm.KvmIrqfd;
import dev.jktstr.bindings.kvm.KvmPitConfig;
import dev.jktstr.bindings.kvm.KvmUserspaceMemoryRegion;
import dev.jktstr.nativeio.EventFd;
import dev.jktstr.nativeio.FileDescriptor;
import dev.jktstr.nativeio.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A VM file descriptor ({@code KVM_CREATE_VM}): memory slots, the in-kernel irqchip and PIT, irqfds,
 * the KVM clock, and {@link #createVcpu(int)}. Each method is one ioctl.
 */
public final class VmFd implements AutoCloseable {

    /** Three pages just below the 4 GiB boundary (in the MMIO hole) for the VMX TSS; Intel needs it. */
    public static final long TSS_ADDRESS = 0xFFFB_D000L;
    public static final long IDENTITY_MAP_ADDRESS = 0xFFFB_C000L;

    private final Kvm kvm;
    private final FileDescriptor fd;

    VmFd(Kvm kvm, FileDescriptor fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    public Kvm kvm() {
        return kvm;
    }

    /** KVM_SET_USER_MEMORY_REGION: maps {@code host} at {@code gpa} in slot {@code slot}. */
    public void setMemoryRegion(int slot, long gpa, MemorySegment host) {
        setMemoryRegion(slot, gpa, host, 0);
    }

    /**
     * KVM_SET_USER_MEMORY_REGION with {@code flags} ({@code KVM_MEM_READONLY}: guest reads come from {@code host},
     * guest writes exit as MMIO).
     */
    public void setMemoryRegion(int slot, long gpa, MemorySegment host, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = arena.allocate(KvmUserspaceMemoryRegion.LAYOUT);
            KvmUserspaceMemoryRegion.slot(region, slot);
            KvmUserspaceMemoryRegion.flags(region, flags);
            KvmUserspaceMemoryRegion.guest_phys_addr(region, gpa);
            KvmUserspaceMemoryRegion.memory_size(region, host.byteSize());
            KvmUserspaceMemoryRegion.userspace_addr(region, host.address());
            fd.ioctl(KvmH.KVM_SET_USER_MEMORY_REGION, region);
        } catch (NativeException e) {
            throw new KvmCallException(String.format("KVM_SET_USER_MEMORY_REGION(slot %d, gpa 0x%x, %d bytes)", slot, gpa,
                    host.byteSize()), e);
        }
    }

    /** KVM_SET_TSS_ADDR (needed before the first KVM_RUN on Intel). */
    public void setTssAddress(long address) {
        call("KVM_SET_TSS_ADDR", KvmH.KVM_SET_TSS_ADDR, address);
    }

    /** KVM_SET_IDENTITY_MAP_ADDR (Intel EPT's real-mode identity map page). */
    public void setIdentityMapAddress(long address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_LONG, address);
            fd.ioctl(KvmH.KVM_SET_IDENTITY_MAP_ADDR, value);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_SET_IDENTITY_MAP_ADDR", e);
        }
    }

    /** KVM_ENABLE_CAP on the VM with {@code args[0] = arg0}. */
    public void enableCapability(int capability, long arg0) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = arena.allocate(dev.jktstr.bindings.kvm.KvmEnableCap.LAYOUT);
            dev.jktstr.bindings.kvm.KvmEnableCap.cap(cap, capability);
            dev.jktstr.bindings.kvm.KvmEnableCap.args(cap, 0, arg0);
            fd.ioctl(KvmH.KVM_ENABLE_CAP, cap);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_ENABLE_CAP(" + capability + ", 0x" + Long.toHexString(arg0) + ")", e);
        }
    }

    /** KVM_CREATE_IRQCHIP: in-kernel PIC, IO APIC and local APICs; before any vCPU. */
    public void createIrqchip() {
        call("KVM_CREATE_IRQCHIP", KvmH.KVM_CREATE_IRQCHIP, 0L);
    }

    /** KVM_CREATE_PIT2 with a dummy speaker port (no port 0x61 exits). */
    public void createPit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(KvmPitConfig.LAYOUT);
            KvmPitConfig.flags(config, KvmH.KVM_PIT_SPEAKER_DUMMY);
            fd.ioctl(KvmH.KVM_CREATE_PIT2, config);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_CREATE_PIT2", e);
        }
    }

    /** KVM_IRQFD: a write to {@code event} raises (edge) interrupt line {@code gsi}. */
    public void registerIrqfd(EventFd event, int gsi) {
        irqfd(event, gsi, 0);
    }

    /** KVM_IRQFD with KVM_IRQFD_FLAG_DEASSIGN. */
    public void unregisterIrqfd(EventFd event, int gsi) {
        irqfd(event, gsi, KvmH.KVM_IRQFD_FLAG_DEASSIGN);
    }

    private void irqfd(EventFd event, int gsi, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment irqfd = arena.allocate(KvmIrqfd.LAYOUT);
            KvmIrqfd.fd(irqfd, event.descriptor().fd());
            KvmIrqfd.gsi(irqfd, gsi);
            KvmIrqfd.flags(irqfd, flags);
            fd.ioctl(KvmH.KVM_IRQFD, irqfd);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_IRQFD(gsi " + gsi + ", flags " + flags + ")", e);
        }
    }

    /**
     * KVM_IOEVENTFD: a guest write of {@code length} bytes to MMIO {@code address} (any value) signals
     * {@code event} inside the kernel instead of exiting to user space.
     */
    public void registerIoeventfd(EventFd event, long address, int length) {
        ioeventfd(event, address, length, 0);
    }

    /** KVM_IOEVENTFD with KVM_IOEVENTFD_FLAG_DEASSIGN. */
    public void unregisterIoeventfd(EventFd event, long address, int length) {
        ioeventfd(event, address, length, KvmH.KVM_IOEVENTFD_FLAG_DEASSIGN);
    }

    private void ioeventfd(EventFd event, long address, int length, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment io = arena.allocate(KvmIoeventfd.LAYOUT);
            KvmIoeventfd.addr(io, address);
            KvmIoeventfd.len(io, length);
            KvmIoeventfd.fd(io, event.descriptor().fd());
            KvmIoeventfd.flags(io, flags);
            fd.ioctl(KvmH.KVM_IOEVENTFD, io);
        } catch (NativeException e) {
            throw new KvmCallException(String.format("KVM_IOEVENTFD(0x%x+%d, flags %d)", address, length, flags), e);
        }
    }

    /** KVM_GET_CLOCK: the guest's kvmclock in ns. */
    public long clock() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(KvmClockData.LAYOUT);
            fd.ioctl(KvmH.KVM_GET_CLOCK, data);
            return KvmClockData.clock(data);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_GET_CLOCK", e);
        }
    }

    /** KVM_SET_CLOCK: sets the guest's kvmclock (used to hide a pause from the guest). */
    public void setClock(long nanos) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(KvmClockData.LAYOUT);
            KvmClockData.clock(data, nanos);
            fd.ioctl(KvmH.KVM_SET_CLOCK, data);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_SET_CLOCK", e);
        }
    }

    /** KVM_CREATE_VCPU with {@code id} (= APIC id) and its kvm_run mapping. */
    public VcpuFd createVcpu(int id) {
        int vcpuFd;
        try {
            vcpuFd = fd.ioctl(KvmH.KVM_CREATE_VCPU, id);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_CREATE_VCPU(" + id + ")", e);
        }
        return VcpuFd.create(id, FileDescriptor.adopt(vcpuFd, "kvm-vcpu" + id), kvm.vcpuMmapSize());
    }

    private void call(String name, long request, long arg) {
        try {
            fd.ioctl(request, arg);
        } catch (NativeException e) {
            throw new KvmCallException(name, e);
        }
    }

    /** A state ioctl on {@code struct} (see {@link StateIoctl}); returns what the ioctl returns. */
    int stateIoctl(long request, byte[] struct, String name) {
        return StateIoctl.call(fd, request, struct, name);
    }

    /** KVM_CHECK_EXTENSION on this VM (some answers, like KVM_CAP_XSAVE2's buffer size, are per VM). */
    int checkExtension(int capability) {
        try {
            return fd.ioctl(KvmH.KVM_CHECK_EXTENSION, capability);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_CHECK_EXTENSION(" + capability + ") on the VM", e);
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
