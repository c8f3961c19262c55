package dev.jktstr.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Saves a stopped VM into a {@link SnapshotFile} and puts one back into a freshly built VM of the same shape —
 * Firecracker's snapshot model: the kernel's VM state (PIT, kvmclock, PICs, IO APIC), every vCPU's
 * {@link VcpuStatePart}s, the legacy devices' registers, and guest RAM. The caller guarantees the vCPUs are out of
 * KVM_RUN with no I/O half done ({@link VcpuRunner} parks them that way) or have never run.
 */
final class VmSnapshot {

    private VmSnapshot() {
    }

    /** The shape {@code vm} has: what a snapshot of it records and what a restore into it requires. */
    static SnapshotFile.Shape shapeOf(VirtualMachine vm) {
        return new SnapshotFile.Shape(vm.topology(), vm.memoryPerNode(), VcpuStatePart.available(vm.kvm()),
                VcpuStatePart.xsaveBytes(vm.vm()));
    }

    /**
     * Writes {@code vm}'s state to {@code file} (through a temporary sibling renamed at the end, so {@code file} is
     * either the old one or a whole new snapshot); {@code clockNanos} is kvmclock as it read when the vCPUs stopped.
     */
    static void save(VirtualMachine vm, Path file, long clockNanos) {
        SnapshotFile.Shape shape = shapeOf(vm);
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try {
            try (SnapshotFile.Writer out = new SnapshotFile.Writer(partial, shape)) {
                for (VmStatePart part : VmStatePart.values()) {
                    out.section(SnapshotFile.Kind.VM, part.ordinal(), 0, part.read(vm.vm(), clockNanos));
                }
                int[] msrs = vm.kvm().msrIndexList();
                for (int cpu = 0; cpu < vm.vcpuCount(); cpu++) {
                    for (VcpuStatePart part : shape.vcpuParts()) {
                        out.section(SnapshotFile.Kind.VCPU, cpu, part.ordinal(), part.read(vm.vcpu(cpu), shape.xsaveBytes(), msrs));
                    }
                }
                for (Map.Entry<String, StatefulDevice> d : vm.legacy().statefulDevices().entrySet()) {
                    out.device(d.getKey(), d.getValue().saveState());
                }
                for (GuestRam.Region r : vm.ram().regions()) {
                    out.ram(r.slot(), r.mapping().segment());
                }
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new KvmException("writing snapshot " + file + ": " + e, e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // best effort: a failed save leaves at most this sibling
            }
        }
    }

    /**
     * Puts {@code contents} (read from {@code file} and checked) into {@code vm}, built for it and never started: RAM,
     * then the VM state, then each vCPU's parts in their restore order, then the devices.
     */
    static void restore(VirtualMachine vm, Path file, SnapshotFile.Contents contents) {
        String difference = contents.shape().difference(shapeOf(vm));
        if (!difference.isEmpty()) {
            throw new SnapshotFileException(file, "it was saved from another VM shape (snapshot vs this VM: " + difference + ")");
        }
        Map<String, StatefulDevice> devices = vm.legacy().statefulDevices();
        if (!contents.devices().keySet().equals(devices.keySet())) {
            throw new SnapshotFileException(file, "it has devices " + contents.devices().keySet() + ", this VM " + devices.keySet());
        }
        for (SnapshotFile.RamSection section : contents.ram()) {
            SnapshotFile.loadRam(file, section, vm.ram().regions().get(section.region()).mapping().segment());
        }
        for (VmStatePart part : VmStatePart.values()) {
            refusedBy(file, "VM state " + part, () -> part.write(vm.vm(), contents.vm().get(part)));
        }
        for (int cpu = 0; cpu < vm.vcpuCount(); cpu++) {
            VcpuFd vcpu = vm.vcpu(cpu);
            for (VcpuStatePart part : VcpuStatePart.values()) {
                byte[] state = contents.vcpus().get(cpu).get(part);
                if (state != null) {
                    refusedBy(file, "vCPU " + cpu + " state " + part, () -> part.write(vcpu, state));
                }
            }
        }
        for (Map.Entry<String, StatefulDevice> d : devices.entrySet()) {
            refusedBy(file, "device " + d.getKey(), () -> d.getValue().restoreState(contents.devices().get(d.getKey())));
        }
    }

    /** Runs {@code step}; a refusal (by KVM or a device) becomes a {@link SnapshotFileException} naming what was refused. */
    private static void refusedBy(Path file, String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            throw new SnapshotFileException(file, "its " + what + " was refused: " + e.getMessage(), e);
        }
    }
}
