package dev.jktstr.introspect;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineBackends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The kernel tests boot and introspect: JKTSTR_KERNEL through KernelLookup, else ../shared beside the repo. */
final class TestKernel {
    private TestKernel() {
    }

    static Path sharedDir() {
        String root = System.getProperty("jktstr.repo.root", ".");
        return Path.of(root).toAbsolutePath().normalize().resolveSibling("shared");
    }

    static KernelImage kernel() {
        KernelImage found = null;
        try {
            found = KernelLookup.standard().find();
        } catch (RuntimeException e) {
            // fall through to the shared kernel
        }
        Path shared = sharedDir().resolve("kernels/linux-6.12-sched_ext");
        if ((found == null || !found.origin().equals("JKTSTR_KERNEL")) && Files.isDirectory(shared)) {
            found = KernelLookup.resolve(shared.toString());
        }
        assumeTrue(found != null, "no kernel: set JKTSTR_KERNEL or put shared/kernels beside the repo");
        assumeTrue(found.vmlinux().isPresent() && found.systemMap().isPresent(),
                "kernel " + found.image() + " lacks vmlinux (with .BTF) or System.map, which introspection needs");
        return found;
    }

    static Path vmlinux() {
        return kernel().vmlinux().orElseThrow();
    }

    static Path systemMap() {
        return kernel().systemMap().orElseThrow();
    }

    static Optional<Path> scheduler(String name) {
        Path p = sharedDir().resolve("schedulers").resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    static MachineBackend tcg() {
        MachineBackend b;
        try {
            b = MachineBackends.byName("qemu:tcg");
        } catch (RuntimeException e) {
            assumeTrue(false, "no qemu:tcg backend: " + e.getMessage());
            throw e;
        }
        return b;
    }
}
