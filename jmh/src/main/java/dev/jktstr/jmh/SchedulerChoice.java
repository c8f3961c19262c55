package dev.jktstr.jmh;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.scenario.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code scheduler} parameter: {@code eevdf}, a path, or a name. A name is looked up, first hit wins, among the
 * schedulers built with the kernel ({@code jktstr kernel build} stores scx_simple and scx_qmap beside it), then in
 * {@code shared/schedulers} and {@code ../shared/schedulers} from the working directory (the repository's layout)
 * — short names keep JMH's result table readable.
 */
final class SchedulerChoice {

    private SchedulerChoice() {}

    static Scheduler resolve(String value, KernelImage kernel, Path workDir) {
        String v = value.strip();
        if (v.equalsIgnoreCase("eevdf")) {
            return Scheduler.eevdf();
        }
        List<String> tried = new ArrayList<>();
        Path asPath = workDir.resolve(v);
        if (v.contains("/") || Files.isRegularFile(asPath)) {
            if (Files.isRegularFile(asPath)) {
                return Scheduler.binary(asPath.normalize());
            }
            throw new IllegalArgumentException("scheduler " + v + ": no such file (" + asPath.normalize() + ")");
        }
        try {
            return Scheduler.binary(kernel.scheduler(v));
        } catch (RuntimeException e) {
            tried.add(e.getMessage());
        }
        for (Path dir : List.of(workDir.resolve("shared/schedulers"), workDir.resolve("../shared/schedulers"))) {
            Path p = dir.resolve(v).normalize();
            if (Files.isRegularFile(p)) {
                return Scheduler.binary(p);
            }
            tried.add(p + ": no such file");
        }
        throw new IllegalArgumentException("scheduler '" + v + "' not found; tried:\n  " + String.join("\n  ", tried)
                + "\nGive eevdf, a path, or build the kernel's schedulers with `jktstr kernel build`.");
    }
}
