package dev.jktstr.qemu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find the kernel and QEMU; skips with what is missing and how to get it. */
final class TestGuests {

    private TestGuests() {
    }

    /** The shared test kernel directory ({@link SharedAssets}), or a skip. */
    static Path kernelDir() {
        return SharedAssets.requireKernelDir();
    }

    static Path bzImage() {
        return SharedAssets.requireBzImage();
    }

    static Path systemMap() {
        return SharedAssets.requireKernelFile("System.map");
    }

    static void assumeQemu() {
        assumeTrue(new QemuBackend().findBinary().isPresent(),
                "qemu-system-x86_64 not installed (Debian: apt-get install qemu-system-x86)");
    }

    static QemuBackend tcg() {
        assumeQemu();
        return new QemuBackend(null, QemuBackend.Accel.TCG);
    }
}
