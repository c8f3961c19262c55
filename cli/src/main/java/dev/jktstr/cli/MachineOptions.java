package dev.jktstr.cli;

import dev.jktstr.guest.Include;
import dev.jktstr.guest.SnapshotStore;
import dev.jktstr.kconfig.KernelIdResolver;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options every command that boots a guest takes (a picocli mixin). */
final class MachineOptions {

    @Option(names = "--kernel", paramLabel = "ID",
            description = "Kernel directory (bzImage, System.map, config[, vmlinux]) or image, a kernel cache key"
                    + " (jktstr kernel list), debian:6.12 (the cached build of Debian's source) or git:TREE@REF (the"
                    + " cached build of that ref). `jktstr run` takes it more than once and runs once per kernel. "
                    + "Default: JKTSTR_KERNEL, the kernel cache, ./linux, ../linux, /boot/vmlinuz-$(uname -r).")
    java.util.List<String> kernels = new java.util.ArrayList<>();

    @Option(names = "--topology", paramLabel = "N,L,C,T|PRESET", defaultValue = "1,1,2,1",
            description = "NUMA nodes, LLCs per node, cores per LLC, threads per core, or a preset's name "
                    + "(jktstr topo lists them) (default: ${DEFAULT-VALUE}).")
    String topology;

    @Option(names = "--memory", paramLabel = "MIB",
            description = "Guest RAM per NUMA node in MiB (default: 512, or the preset's share when --topology names one).")
    Long memoryMib;

    /** RAM per node: --memory, else a named preset's share, else 512 MiB. */
    long memoryPerNodeMib() {
        if (memoryMib != null) {
            return memoryMib;
        }
        return dev.jktstr.machine.TopologyPreset.find(topology).map(p -> (long) p.memoryPerNodeMib()).orElse(512L);
    }

    @Option(names = "--backend", paramLabel = "qemu|kvm",
            description = "Machine backend, optionally with a variant (qemu:tcg, qemu:kvm). "
                    + "Default: the fastest that can boot the kernel here.")
    String backend;

    @Option(names = "--cmdline", paramLabel = "ARGS", defaultValue = "quiet",
            description = "Extra kernel command line (default: ${DEFAULT-VALUE}).")
    String cmdline;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "How long the guest may take to boot to its agent (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(names = {"-i", "--include"}, paramLabel = "HOST[:GUEST]",
            description = "Put a host file or directory into the guest's initramfs, at GUEST (absolute) or else at "
                    + "/include/NAME (on the guest's PATH: an included script or static binary runs by name). "
                    + "Repeatable. A missing path is refused before anything boots.")
    java.util.List<String> includes = new java.util.ArrayList<>();

    /** The --include paths, parsed and checked: a missing one is refused, naming it, before anything boots. */
    java.util.List<Include> includes() {
        return includes.stream().map(s -> Include.parse(s).check()).toList();
    }

    @Option(names = "--snapshot", negatable = true,
            description = "Start from a snapshot of this configuration (kernel, initramfs, topology, memory, version) in "
                    + "~/.cache/jktstr/snapshots, saving one after a cold boot; --no-snapshot boots cold. "
                    + "Default: off unless JKTSTR_SNAPSHOT=1.")
    Boolean snapshot;

    /** Where snapshots live when this boot uses them, else null. */
    SnapshotStore snapshots() {
        boolean use = snapshot != null ? snapshot : SnapshotStore.enabledByDefault();
        return use ? SnapshotStore.inUserCache() : null;
    }

    /** The one kernel of a command that boots one; a second --kernel is refused (only run takes several). */
    KernelImage kernelImage() {
        if (kernels.size() > 1) {
            throw new IllegalArgumentException("--kernel given " + kernels.size() + " times; this command boots one"
                    + " kernel (jktstr run runs once per --kernel)");
        }
        return kernels.isEmpty() ? KernelLookup.standard().find() : KernelIdResolver.standard().resolve(kernels.getFirst());
    }

    /**
     * Every --kernel, resolved in order before anything boots (a bad id fails the command up front, listing what it
     * tried); the standard lookup's kernel when none is given.
     */
    java.util.List<KernelImage> kernelImages() {
        if (kernels.isEmpty()) {
            return java.util.List.of(KernelLookup.standard().find());
        }
        KernelIdResolver resolver = KernelIdResolver.standard();
        return kernels.stream().map(resolver::resolve).toList();
    }

    Duration readyTimeout() {
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--timeout must be at least 1 second");
        }
        return Duration.ofSeconds(timeoutSeconds);
    }

    MachineSpec spec(Path kernelImage, Path initramfs, String extraCmdline) {
        String line = (cmdline == null ? "" : cmdline) + (extraCmdline.isEmpty() ? "" : " " + extraCmdline);
        return MachineSpec.builder(kernelImage).initramfs(initramfs).topology(Topology.parse(topology))
                .memoryPerNodeMib(memoryPerNodeMib()).commandLine(line).build();
    }

    MachineBackend backend(MachineSpec spec) {
        if (backend == null || backend.isEmpty()) {
            return MachineBackends.fastestFor(spec);
        }
        MachineBackend chosen = MachineBackends.byName(backend);
        // A named backend that cannot boot this spec (e.g. kvm without access to /dev/kvm) fails now, saying why.
        MachineBackend.Support support = chosen.canBoot(spec);
        if (!support.ok()) {
            throw new dev.jktstr.machine.BackendUnavailableException("--backend " + backend + ": " + support.reason());
        }
        return chosen;
    }
}
