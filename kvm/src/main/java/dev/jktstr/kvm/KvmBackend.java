package dev.jktstr.kvm;

import dev.jktstr.kvm.boot.KernelImage;
import dev.jktstr.kvm.boot.LinuxBoot;
import dev.jktstr.kvm.x86.CpuTopology;
import dev.jktstr.machine.BackendUnavailableException;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Machine SPI backend over this VMM ({@code --backend kvm}). It boots a kernel with a serial
 * console, pause/resume and register reads; it does not yet offer the virtio console that carries the
 * guest agent's control port, so {@link #canBoot} says no and {@code MachineBackends.fastestFor} keeps
 * choosing QEMU. On PVM hosts (guest kernel code emulated) it also ranks behind QEMU's TCG for Linux.
 */
public final class KvmBackend implements MachineBackend {

    /** QEMU ranks 50 with KVM and 100 with TCG; under PVM this VMM runs Linux slower than TCG. */
    static final int RANK_HARDWARE = 40;
    static final int RANK_PVM = 150;

    /** The command line this backend puts before the caller's. */
    public static final String BASE_CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0 reboot=k panic=-1 i8042.noaux";

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public int speedRank() {
        return Kvm.isPvm() ? RANK_PVM : RANK_HARDWARE;
    }

    @Override
    public Support canBoot(MachineSpec spec) {
        Path device = Kvm.DEFAULT_DEVICE;
        if (!Files.isReadable(device) || !Files.isWritable(device)) {
            return Support.no(device + " is missing or not accessible (load kvm, join the kvm group)");
        }
        return Support.no("the kvm backend has no virtio console yet, so the guest agent's control port "
                + MachineSpec.CONTROL_PORT + " cannot connect; use qemu" + (Kvm.isPvm()
                ? " (and this host's KVM is PVM, which runs guest kernels slower than QEMU's TCG)" : ""));
    }

    @Override
    public Machine boot(MachineSpec spec) {
        KernelImage kernel = KernelImage.read(spec.kernel());
        Optional<byte[]> initrd = Optional.empty();
        if (spec.initramfs().isPresent()) {
            try {
                initrd = Optional.of(Files.readAllBytes(spec.initramfs().get()));
            } catch (IOException e) {
                throw new dev.jktstr.kvm.boot.KernelImageException("cannot read initramfs " + spec.initramfs().get() + ": "
                        + e.getMessage(), e);
            }
        }
        List<Long> perNode = new ArrayList<>();
        for (int i = 0; i < spec.topology().numaNodes(); i++) {
            perNode.add(spec.memoryPerNodeMib() << 20);
        }
        long start = System.nanoTime();
        VirtualMachine vm;
        try {
            vm = VirtualMachine.builder().topology(CpuTopology.of(spec.topology())).memoryPerNode(perNode).build();
        } catch (KvmUnavailableException e) {
            throw new BackendUnavailableException(e.getMessage(), e);
        }
        try {
            LinuxBoot.load(vm, kernel, initrd, (BASE_CMDLINE + " " + spec.commandLine()).strip());
            vm.start();
            return new KvmMachine(spec, vm, start);
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }
}
