package dev.jktstr.kconfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A bootable kernel and the files describing it.
 *
 * @param image the bzImage (or vmlinuz) to boot
 * @param systemMap System.map, for symbol addresses
 * @param config the kernel's .config
 * @param vmlinux the uncompressed ELF with symbols and BTF
 * @param origin where the lookup found it, e.g. {@code JKTSTR_KERNEL}, for messages
 */
public record KernelImage(Path image, Optional<Path> systemMap, Optional<Path> config, Optional<Path> vmlinux,
                          String origin) {

    /** The example schedulers {@code jktstr kernel build} stored beside this image, by name. */
    public List<String> schedulers() {
        return SchedulerBuild.available(directory());
    }

    /**
     * A scheduler binary: a path to a file, or the name of one built with this kernel
     * ({@code scx_simple}, {@code scx_qmap}: {@code schedulers/NAME} beside the image).
     *
     * @throws KconfigException naming what was tried and what is available
     */
    public Path scheduler(String nameOrPath) {
        Path asPath = Path.of(nameOrPath);
        if (Files.isRegularFile(asPath)) {
            return asPath.toAbsolutePath();
        }
        if (!nameOrPath.contains("/")) {
            Path built = directory().resolve(SchedulerBuild.DIRECTORY).resolve(nameOrPath);
            if (Files.isRegularFile(built)) {
                return built;
            }
        }
        List<String> available = schedulers();
        throw new KconfigException("no scheduler '" + nameOrPath + "': not a file, and not one built with the kernel "
                + image + " (" + (available.isEmpty() ? "it has none; jktstr kernel build stores scx_simple and scx_qmap"
                        : "it has " + String.join(", ", available)) + ")");
    }

    /**
     * A short hash of the kernel's configuration (its assignments, not comments or order of lines:
     * {@link ConfigFragment#hash()}, first 12 hex digits), to tell two builds of one release apart; empty when the
     * kernel has no config beside it or it cannot be read.
     */
    public Optional<String> configHash() {
        try {
            return config.map(c -> ConfigFragment.read(c).hash().substring(0, 12));
        } catch (KconfigException e) {
            return Optional.empty();
        }
    }

    private Path directory() {
        return image.toAbsolutePath().getParent();
    }
}
