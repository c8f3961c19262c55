package dev.jktstr.jmh;

import dev.jktstr.kconfig.KernelIdResolver;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.scenario.Vm;

/** The {@code kernel} parameter, resolved the way {@code --kernel} is; empty means the standard lookup. */
final class KernelChoice {

    private KernelChoice() {}

    static KernelImage resolve(String id) {
        return id.isBlank() ? Vm.builder().build().kernelImage() : KernelIdResolver.standard().resolve(id);
    }
}
