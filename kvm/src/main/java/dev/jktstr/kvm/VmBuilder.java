package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.TopologyCpuid;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link VmConfig} into a wired, not yet started {@link VirtualMachine} (Firecracker's
 * {@code builder.rs}): checks what KVM offers against the config, then creates the VM, its RAM, the
 * in-kernel PIC/IO APIC/LAPICs and PIT, the vCPUs with their CPUID, the legacy devices and the virtio
 * slots. On failure everything created so far is closed again.
 */
final class VmBuilder {

    private VmBuilder() {
    }

    static VirtualMachine build(VmConfig config) {
        long createdNanos = System.nanoTime();
        VcpuKick.install();
        Kvm kvm = Kvm.open(config.device());
        VmFd vm = null;
        GuestRam ram = null;
        List<VcpuFd> vcpus = new ArrayList<>();
        try {
            requireCapabilities(kvm);
            ApicIdLayout topology = config.topology();
            checkVcpuLimits(topology, kvm.maxVcpus(), kvm.maxVcpuId());
            vm = kvm.createVm();
            if (kvm.checkExtension(KvmH.KVM_CAP_SET_TSS_ADDR) > 0) {
                vm.setTssAddress(VmFd.TSS_ADDRESS);
            }
            // Memory slots first: on PVM, adding slots after the irqchip exists costs several ms more.
            ram = GuestRam.allocate(vm, config.memoryPerNode(), config.hugePages());
            vm.createIrqchip();
            vm.createPit();
            if (topology.maxApicId() > 254) {
                // APIC ids above 255 are only addressable with 32-bit x2APIC ids (and 0xFF is not a broadcast).
                kvm.requireExtension(KvmH.KVM_CAP_X2APIC_API, "KVM_CAP_X2APIC_API (APIC ids above 254)");
                vm.enableCapability(KvmH.KVM_CAP_X2APIC_API,
                        KvmH.KVM_X2APIC_API_USE_32BIT_IDS | KvmH.KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK);
            }
            TopologyCpuid cpuid = new TopologyCpuid(topology, kvm.supportedCpuid());
            for (int cpu = 0; cpu < topology.cpuCount(); cpu++) {
                VcpuFd vcpu = vm.createVcpu(topology.apicId(cpu));
                vcpus.add(vcpu);
                vcpu.setCpuid(cpuid.forVcpu(cpu));
                LongMode.setupLapicLvts(vcpu);
            }
            LongMode.writeTables(ram.memory());
            return wire(config, createdNanos, kvm, vm, ram, vcpus);
        } catch (RuntimeException e) {
            vcpus.forEach(VcpuFd::close);
            if (ram != null) {
                ram.close();
            }
            if (vm != null) {
                vm.close();
            }
            kvm.close();
            throw e;
        }
    }

    private static VirtualMachine wire(VmConfig config, long createdNanos, Kvm kvm, VmFd vm, GuestRam ram, List<VcpuFd> vcpus) {
        ExitLatch exits = new ExitLatch();
        Bus pio = new Bus("port I/O");
        Bus mmio = new Bus("MMIO");
        LegacyDevices legacy = new LegacyDevices(vm, pio, exits);
        VirtioSlots virtio = new VirtioSlots(kvm, vm, ram, mmio);
        VcpuRunner runner = new VcpuRunner(vcpus, new VcpuExitHandler(pio, mmio, exits, legacy::reset), exits);
        exits.onStop(runner::stop);
        exits.onStop(legacy::endLogs);
        return new VirtualMachine(config, createdNanos, kvm, vm, ram, pio, mmio, legacy, virtio, runner, exits);
    }

    private static void requireCapabilities(Kvm kvm) {
        kvm.requireExtension(KvmH.KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel interrupt controllers)");
        kvm.requireExtension(KvmH.KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
        kvm.requireExtension(KvmH.KVM_CAP_IRQFD, "KVM_CAP_IRQFD");
        kvm.requireExtension(KvmH.KVM_CAP_PIT2, "KVM_CAP_PIT2");
        kvm.requireExtension(KvmH.KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT (needed to pause vCPUs)");
        kvm.requireExtension(KvmH.KVM_CAP_ADJUST_CLOCK, "KVM_CAP_ADJUST_CLOCK (needed to hide pauses from the guest)");
    }

    /** Throws {@link KvmUnavailableException} when KVM cannot create the topology's vCPUs. */
    static void checkVcpuLimits(ApicIdLayout topology, int maxVcpus, int maxVcpuId) {
        int cpus = topology.cpuCount();
        if (cpus > maxVcpus) {
            throw new KvmUnavailableException("topology " + topology + " has " + cpus + " vCPUs but KVM here allows at most "
                    + maxVcpus + " per VM (KVM_CAP_MAX_VCPUS); use fewer CPUs or the qemu backend");
        }
        if (topology.maxApicId() >= maxVcpuId) {
            throw new KvmUnavailableException("topology " + topology + " needs APIC id " + topology.maxApicId()
                    + " but KVM here accepts vCPU ids below " + maxVcpuId
                    + " (KVM_CAP_MAX_VCPU_ID); use a topology whose counts are powers of two or fewer CPUs");
        }
    }
}
