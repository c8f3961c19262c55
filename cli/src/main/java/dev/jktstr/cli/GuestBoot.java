package dev.jktstr.cli;

import dev.jktstr.guest.GuestImage;
import dev.jktstr.guest.GuestSession;
import dev.jktstr.guest.Include;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineSpec;
import java.util.List;
import java.util.function.Consumer;

/**
 * A command's guest: the image (busybox, the --include files, the command's own files) and spec from its options,
 * booted through {@link GuestSession}.
 */
final class GuestBoot {

    private GuestBoot() {
    }

    /** Boots and waits for the agent; every failure carries the console tail in its message. */
    static GuestSession start(MachineOptions options, String extraCmdline) {
        return start(options, extraCmdline, b -> { });
    }

    /** Like {@link #start(MachineOptions, String)}, letting the caller add files to the guest image first. */
    static GuestSession start(MachineOptions options, String extraCmdline, Consumer<GuestImage.Builder> imageFiles) {
        List<Include> includes = options.includes(); // a missing --include fails before the kernel lookup
        KernelImage kernel = options.kernelImage();
        GuestImage.Builder builder = GuestImage.builder().withBusybox(true);
        includes.forEach(builder::include);
        imageFiles.accept(builder);
        GuestImage image = builder.build();
        MachineSpec spec;
        try {
            spec = options.spec(kernel.image(), image.initramfs(), extraCmdline);
            return GuestSession.boot(options.backend(spec), spec, image, options.readyTimeout(), System.err::println,
                    options.snapshots());
        } catch (MachineException e) {
            image.close(); // idempotent: the session closed it already when booting failed
            throw new IllegalStateException(e.describe(), e);
        } catch (RuntimeException e) {
            image.close();
            throw e;
        }
    }
}
