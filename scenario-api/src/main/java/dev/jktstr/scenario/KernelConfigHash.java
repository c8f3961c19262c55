package dev.jktstr.scenario;

import dev.jktstr.kconfig.KconfigException;
import dev.jktstr.kconfig.KernelLookup;
import java.util.Optional;

/**
 * The config hash a result file records beside the kernel release ({@code kernel.configHash}): the config next to
 * the image the run booted ({@code KernelImage.configHash()}), so results from a kernel matrix say which build ran.
 */
final class KernelConfigHash {

    private KernelConfigHash() {}

    /** Empty when the image is gone or has no readable config beside it: the result is still written. */
    static Optional<String> of(String image) {
        if (image == null || image.isEmpty()) {
            return Optional.empty();
        }
        try {
            return KernelLookup.resolve(image).configHash();
        } catch (KconfigException | java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }
}
