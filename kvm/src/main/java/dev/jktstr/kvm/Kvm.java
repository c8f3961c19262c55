package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmCpuid2;
import dev.jktstr.bindings.kvm.KvmCpuidEntry2;
import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmMsrList;
import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.x86.CpuidEntry;
import dev.jktstr.nativeio.FileDescriptor;
import dev.jktstr.nativeio.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The system file descriptor {@code /dev/kvm}: API version, capabilities, the host's supported CPUID,
 * and {@link #createVm()}. One object per descriptor, as rust-vmm's {@code Kvm}.
 */
public final class Kvm implements AutoCloseable {

    /** The only KVM API version there has ever been. */
    public static final int API_VERSION = 12;
    public static final Path DEFAULT_DEVICE = Path.of("/dev/kvm");
    private static final int MAX_CPUID_ENTRIES = 256;

    private final FileDescriptor fd;
    private final Path device;

    private Kvm(FileDescriptor fd, Path device) {
        this.fd = fd;
        this.device = device;
    }

    /** Opens /dev/kvm and checks the API version. */
    public static Kvm open() {
        return open(DEFAULT_DEVICE);
    }

    /**
     * Opens a KVM device node.
     *
     * @throws KvmUnavailableException when it is missing, not accessible or not KVM, saying what to do
     */
    public static Kvm open(Path device) {
        FileDescriptor fd;
        try {
            fd = FileDescriptor.open(device, LibcH.O_RDWR);
        } catch (NativeException e) {
            String hint = switch (e.errnoName()) {
                case "ENOENT" -> Files.exists(device.getParent() == null ? device : device.getParent())
                        ? "; load the kvm module (modprobe kvm_intel or kvm_amd) or run on a host with virtualization enabled"
                        : "";
                case "EACCES", "EPERM" -> "; add your user to the 'kvm' group or run as root";
                default -> "";
            };
            throw new KvmUnavailableException("cannot open " + device + ": " + e.errnoName() + hint, e);
        }
        try {
            int version = fd.ioctl(KvmH.KVM_GET_API_VERSION);
            if (version != API_VERSION) {
                throw new KvmUnavailableException(device + " speaks KVM API " + version + ", this VMM needs " + API_VERSION);
            }
        } catch (NativeException e) {
            fd.close();
            throw new KvmUnavailableException(device + " is not a KVM device (KVM_GET_API_VERSION: " + e.errnoName() + ")", e);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
        return new Kvm(fd, device);
    }

    public Path device() {
        return device;
    }

    /** KVM_CHECK_EXTENSION: 0 when absent, else a capability-specific positive value. */
    public int checkExtension(int capability) {
        try {
            return fd.ioctl(KvmH.KVM_CHECK_EXTENSION, capability);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_CHECK_EXTENSION(" + capability + ")", e);
        }
    }

    /** Throws, naming the capability, if KVM lacks it. */
    public void requireExtension(int capability, String name) {
        if (checkExtension(capability) <= 0) {
            throw new KvmUnavailableException("KVM on this host lacks " + name + " (KVM_CHECK_EXTENSION " + capability
                    + " = 0); this VMM needs it. Use a newer host kernel or the qemu backend");
        }
    }

    /** The most vCPUs one VM may have (KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS, else 4 as the API says). */
    public int maxVcpus() {
        int max = checkExtension(KvmH.KVM_CAP_MAX_VCPUS);
        if (max <= 0) {
            max = checkExtension(KvmH.KVM_CAP_NR_VCPUS);
        }
        return max > 0 ? max : 4;
    }

    /** The largest vCPU id (APIC id) + 1 KVM accepts. */
    public int maxVcpuId() {
        int max = checkExtension(KvmH.KVM_CAP_MAX_VCPU_ID);
        return max > 0 ? max : maxVcpus();
    }

    /** Size of each vCPU's shared kvm_run mapping. */
    public long vcpuMmapSize() {
        try {
            return fd.ioctl(KvmH.KVM_GET_VCPU_MMAP_SIZE);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_GET_VCPU_MMAP_SIZE", e);
        }
    }

    /** The most MSR indices {@link #msrIndexList()} accepts from KVM (about 100 on current kernels). */
    static final int MAX_MSR_INDICES = 4096;

    /**
     * KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores for a vCPU (its {@code msrs_to_save} and emulated
     * MSRs), what a snapshot reads with KVM_GET_MSRS.
     */
    public int[] msrIndexList() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(KvmMsrList.LAYOUT.byteSize() + 4L * MAX_MSR_INDICES, 8);
            KvmMsrList.nmsrs(list, MAX_MSR_INDICES);
            fd.ioctl(KvmH.KVM_GET_MSR_INDEX_LIST, list);
            int n = KvmMsrList.nmsrs(list);
            int[] out = new int[n];
            MemorySegment.copy(list, java.lang.foreign.ValueLayout.JAVA_INT, KvmMsrList.indices$OFFSET, out, 0, n);
            return out;
        } catch (NativeException e) {
            throw new KvmCallException("KVM_GET_MSR_INDEX_LIST", e);
        }
    }

    /**
     * KVM_GET_SUPPORTED_CPUID: what a guest may see on this host — less, on PVM, what PVM's instruction
     * emulator cannot serve ({@link #pvmSafe}).
     */
    public List<CpuidEntry> supportedCpuid() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpuid = arena.allocate(KvmCpuid2.LAYOUT.byteSize() + MAX_CPUID_ENTRIES * KvmCpuidEntry2.LAYOUT.byteSize(), 8);
            KvmCpuid2.nent(cpuid, MAX_CPUID_ENTRIES);
            try {
                fd.ioctl(KvmH.KVM_GET_SUPPORTED_CPUID, cpuid);
            } catch (NativeException e) {
                throw new KvmCallException("KVM_GET_SUPPORTED_CPUID", e);
            }
            int n = KvmCpuid2.nent(cpuid);
            List<CpuidEntry> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                MemorySegment e = KvmCpuid2.entries(cpuid, i);
                out.add(new CpuidEntry(KvmCpuidEntry2.function(e), KvmCpuidEntry2.index(e), KvmCpuidEntry2.flags(e),
                        KvmCpuidEntry2.eax(e), KvmCpuidEntry2.ebx(e), KvmCpuidEntry2.ecx(e), KvmCpuidEntry2.edx(e)));
            }
            return isPvm() ? pvmSafe(out) : out;
        }
    }

    /** CPUID.1:ECX.CX16 (CMPXCHG16B), which PVM's instruction emulator cannot serve. */
    static final int LEAF1_ECX_NOT_EMULATED_ON_PVM = 1 << 13;

    /**
     * PVM emulates guest kernel code, and its emulator stops with KVM_INTERNAL_ERROR_EMULATION on
     * CMPXCHG16B (Linux's SLUB, {@code ___slab_alloc}); without CX16 Linux takes its lock-based path.
     * (It also stops on XRSTOR in {@code fpu__init_system_xstate}, but PVM reports XSAVE to the guest
     * whatever KVM_SET_CPUID2 says, so that one cannot be hidden from here.)
     */
    static List<CpuidEntry> pvmSafe(List<CpuidEntry> supported) {
        return supported.stream().map(e -> e.function() == 1 ? e.withEcx(e.ecx() & ~LEAF1_ECX_NOT_EMULATED_ON_PVM) : e)
                .toList();
    }

    /** KVM_CREATE_VM: a new, empty VM. */
    public VmFd createVm() {
        int vmFd;
        try {
            vmFd = fd.ioctl(KvmH.KVM_CREATE_VM, 0L);
        } catch (NativeException e) {
            throw new KvmCallException("KVM_CREATE_VM", e);
        }
        return new VmFd(this, FileDescriptor.adopt(vmFd, "kvm-vm"));
    }

    /**
     * Whether this host's /dev/kvm exists, opens read-write and is PVM (guest kernel code emulated, slow):
     * {@link HostVirtualization#host()} of kind PVM. Module kvm_pvm without a usable /dev/kvm is not PVM.
     */
    public static boolean isPvm() {
        return HostVirtualization.host().kind() == HostVirtualization.Kind.PVM;
    }

    @Override
    public void close() {
        fd.close();
    }
}
