package dev.jktstr.scenario;

import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import java.nio.file.Path;

/** The shared test kernel and schedulers (../shared beside the repo); skips with what is missing. */
final class TestAssets {
    private TestAssets() {
    }

    static Path shared() {
        return SharedAssets.sharedDir();
    }

    static Path kernelDir() {
        Path dir = SharedAssets.requireKernelDir();
        SharedAssets.requireBzImage();
        HostProgram.require("qemu-system-x86_64", "apt-get install qemu-system-x86");
        return dir;
    }

    static Path scxSimple() {
        return SharedAssets.requireScheduler("scx_simple");
    }

    static Path scxQmap() {
        return SharedAssets.requireScheduler("scx_qmap");
    }

    static Vm.Builder vm() {
        return Vm.builder().kernel(kernelDir()).topology(1, 1, 2, 1).memoryMib(256).duration(java.time.Duration.ofSeconds(3));
    }
}
