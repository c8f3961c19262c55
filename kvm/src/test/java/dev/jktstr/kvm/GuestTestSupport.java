package dev.jktstr.kvm;

import java.nio.file.Path;

/** Opens the test-guest harness to tests in other packages. */
public final class GuestTestSupport {

    private GuestTestSupport() {
    }

    public static void assumeKvm() {
        TestGuests.assumeKvm();
    }

    public static void assumeBinutils() {
        TestGuests.assumeBinutils();
    }

    /** The shared kernel's bzImage, or a skip naming what is missing. */
    public static Path sharedBzImage() {
        Path p = Path.of(System.getProperty("jktstr.repo.root", "."), "..", "shared", "kernels", "linux-6.12-sched_ext", "bzImage");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(p),
                "the shared kernel " + p + " is missing: clone shared/ beside the repo");
        return p;
    }

    public static Path elf(String guest) {
        return TestGuests.elf(guest);
    }
}
