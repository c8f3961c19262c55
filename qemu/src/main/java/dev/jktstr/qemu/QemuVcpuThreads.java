package dev.jktstr.qemu;

import dev.jktstr.machine.VcpuHostTime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * QEMU's vCPU threads, found by the names QEMU gives them with {@code -name ...,debug-threads=on}: {@code CPU <n>/TCG}
 * or {@code CPU <n>/KVM} for a thread per vCPU, {@code ALL CPUs/TCG} for single-threaded TCG (one thread runs every
 * vCPU in turn). Their host times come from {@code /proc/<qemu pid>/task/<tid>/schedstat} ({@link VcpuHostTime}).
 * The map is built on first use and again when a thread cannot be read. Thread-safe.
 */
final class QemuVcpuThreads {
    private static final Pattern PER_VCPU = Pattern.compile("CPU (\\d+)/(TCG|KVM|HVF|WHPX)");
    private static final String ALL_VCPUS = "ALL CPUs/";

    private final long pid;
    private final int vcpus;
    private Map<Integer, Path> byCpu = Map.of(); // guarded by this
    private int sharedBy = 1;

    QemuVcpuThreads(long pid, int vcpus) {
        this.pid = pid;
        this.vcpus = vcpus;
    }

    Optional<VcpuHostTime> hostTime(int cpu) {
        if (cpu < 0 || cpu >= vcpus) {
            return Optional.empty();
        }
        Path dir;
        int shared;
        synchronized (this) {
            if (!byCpu.containsKey(cpu)) {
                scan();
            }
            dir = byCpu.get(cpu);
            shared = sharedBy;
        }
        if (dir == null) {
            return Optional.empty();
        }
        Optional<VcpuHostTime> t = VcpuHostTime.ofThread(dir, shared);
        if (t.isEmpty()) {
            synchronized (this) {
                scan();
                dir = byCpu.get(cpu);
                shared = sharedBy;
            }
            t = dir == null ? Optional.empty() : VcpuHostTime.ofThread(dir, shared);
        }
        return t;
    }

    /** Reads every thread's name; a thread per vCPU wins over a shared one. */
    private void scan() {
        Map<Integer, Path> found = new HashMap<>();
        Path all = null;
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        List<Path> list;
        try (var s = Files.list(tasks)) {
            list = s.toList();
        } catch (IOException | RuntimeException e) {
            byCpu = Map.of();
            return;
        }
        for (Path task : list) {
            String comm;
            try {
                comm = Files.readString(task.resolve("comm")).strip();
            } catch (IOException | RuntimeException e) {
                continue; // gone while listing
            }
            Matcher m = PER_VCPU.matcher(comm);
            if (m.matches()) {
                found.put(Integer.parseInt(m.group(1)), task);
            } else if (comm.startsWith(ALL_VCPUS)) {
                all = task;
            }
        }
        if (found.isEmpty() && all != null) {
            for (int cpu = 0; cpu < vcpus; cpu++) {
                found.put(cpu, all);
            }
            sharedBy = vcpus;
        } else {
            sharedBy = 1;
        }
        byCpu = Map.copyOf(found);
    }
}
