package dev.jktstr.kconfig;

import java.nio.file.Path;
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
}
