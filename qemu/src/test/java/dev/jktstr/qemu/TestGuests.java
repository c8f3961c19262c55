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

    /** How long a TCG guest gets to its agent. */
    static final java.time.Duration READY_TIMEOUT = java.time.Duration.ofSeconds(90);

    /** The agent and busybox, nothing else: the image most tests boot (the caller closes it). */
    static dev.jktstr.guest.GuestImage image() {
        return dev.jktstr.guest.GuestImage.builder().withBusybox(true).build();
    }

    /** Runs a shell command line through the image's busybox (independent of its applet links). */
    static dev.jktstr.guest.ExecResult sh(dev.jktstr.guest.GuestSession s, String commandLine) {
        return s.agent().exec(java.util.List.of("/bin/busybox", "sh", "-c", commandLine), java.util.Map.of(),
                java.time.Duration.ofSeconds(60));
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
