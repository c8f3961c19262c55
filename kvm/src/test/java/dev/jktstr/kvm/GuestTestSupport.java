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
        return dev.jktstr.testsupport.SharedAssets.requireBzImage();
    }

    public static Path elf(String guest) {
        return TestGuests.elf(guest);
    }
}
