package dev.jktstr.cli;

import dev.jktstr.kvm.HostVirtualization;
import dev.jktstr.kvm.VirtualizationProbe;
import dev.jktstr.kvm.x86.HostCpuid;
import dev.jktstr.machine.HostTools;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where {@link Doctor} looks on the host. Tests point it at fakes (a missing /dev/kvm, an empty
 * PATH, a CPU that says it runs under QEMU TCG) to check the verdicts without changing the machine.
 */
record HostProbe(Path kvmDevice, Path cpuinfo, Path modules, Path sysModule, List<Path> searchPath, Path busybox,
                 HostCpuid cpuid) {

    static HostProbe system() {
        return new HostProbe(Path.of("/dev/kvm"), Path.of("/proc/cpuinfo"), Path.of("/proc/modules"),
                Path.of("/sys/module"), HostTools.onPath().searchPath(), Path.of("/bin/busybox"), HostCpuid.executed());
    }

    /** What kind of KVM this host has, read through these paths and {@link #cpuid()}. */
    HostVirtualization virtualization() {
        return HostVirtualization.classify(VirtualizationProbe.of(kvmDevice, sysModule, modules, cpuinfo, cpuid));
    }

    /** The first executable named {@code name} on the search path ({@link HostTools#find}). */
    Optional<Path> which(String name) {
        return HostTools.in(searchPath).find(name);
    }

    HostProbe withSearchPath(List<Path> dirs) {
        return new HostProbe(kvmDevice, cpuinfo, modules, sysModule, dirs, busybox, cpuid);
    }

    HostProbe withKvmDevice(Path device) {
        return new HostProbe(device, cpuinfo, modules, sysModule, searchPath, busybox, cpuid);
    }

    HostProbe withBusybox(Path file) {
        return new HostProbe(kvmDevice, cpuinfo, modules, sysModule, searchPath, file, cpuid);
    }
}
