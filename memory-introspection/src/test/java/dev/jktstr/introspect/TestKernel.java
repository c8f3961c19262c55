package dev.jktstr.introspect;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.testsupport.SharedAssets;
import java.nio.file.Path;
import java.util.Optional;

/** The kernel tests boot and introspect ({@link SharedAssets}'s), with the files introspection needs. */
final class TestKernel {
    private TestKernel() {
    }

    static KernelImage kernel() {
        KernelImage found = KernelLookup.resolve(SharedAssets.requireKernelDir().toString());
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
        return SharedAssets.findScheduler(name);
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
