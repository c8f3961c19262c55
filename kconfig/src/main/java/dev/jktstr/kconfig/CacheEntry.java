package dev.jktstr.kconfig;

import java.nio.file.Path;

/**
 * A built kernel in the cache: a directory holding {@code bzImage}, {@code System.map},
 * {@code config}, a debug-stripped {@code vmlinux} (keeps .BTF and .symtab) and
 * {@code metadata.json}.
 */
public record CacheEntry(Path directory, KernelMetadata metadata) {

    public static final String IMAGE = "bzImage";
    public static final String SYSTEM_MAP = "System.map";
    public static final String CONFIG = "config";
    public static final String VMLINUX = "vmlinux";
    public static final String METADATA = "metadata.json";

    public String key() {
        return metadata.key();
    }

    public Path image() {
        return directory.resolve(IMAGE);
    }
}
