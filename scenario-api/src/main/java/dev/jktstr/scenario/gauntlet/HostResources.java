package dev.jktstr.scenario.gauntlet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the host can give a gauntlet: its cores and {@code MemAvailable} from {@code /proc/meminfo}, less a margin for
 * the JVM, QEMU's own overhead per VM and whatever else runs (10% and at least 1 GiB).
 */
public record HostResources(int cores, long memAvailableMib) {
    private static final Pattern MEM_AVAILABLE = Pattern.compile("(?m)^MemAvailable:\\s+(\\d+)\\s+kB");

    public static HostResources detect() {
        return new HostResources(Runtime.getRuntime().availableProcessors(), memAvailableMib(Path.of("/proc/meminfo")));
    }

    /** {@code MemAvailable} in MiB; 2 GiB when the file cannot be read (not Linux, hidden /proc). */
    static long memAvailableMib(Path meminfo) {
        try {
            Matcher m = MEM_AVAILABLE.matcher(Files.readString(meminfo));
            if (m.find()) {
                return Long.parseLong(m.group(1)) / 1024;
            }
        } catch (IOException | RuntimeException e) {
            // fall through: a conservative guess
        }
        return 2048;
    }

    public long marginMib() {
        return Math.max(1024, memAvailableMib / 10);
    }

    public long usableMemoryMib() {
        return Math.max(64, memAvailableMib - marginMib());
    }
}
