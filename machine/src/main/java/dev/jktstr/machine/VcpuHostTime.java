package dev.jktstr.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the host gave the thread that runs a vCPU, counted since that thread started ({@link Machine#vcpuHostTime}).
 * Two readings apart tell how much of that interval the vCPU ran, waited for a host CPU, or was held stopped; the
 * rest it slept (a halted vCPU: the guest had nothing to run on it).
 *
 * @param cpuNanos  time the thread spent on a host CPU
 * @param waitNanos time it was runnable but waited for a host CPU (the host scheduler's run delay,
 *                  {@code /proc/.../schedstat}); -1 when the host does not say (a kernel without CONFIG_SCHED_INFO)
 * @param stopped   whether the thread is stopped right now (SIGSTOP, a debugger): it neither runs nor waits then
 * @param sharedBy  how many vCPUs the thread runs: 1 for a thread per vCPU (QEMU with KVM or multi-threaded TCG, our
 *                  VMM), every vCPU under single-threaded TCG (one "ALL CPUs/TCG" thread takes them in turn)
 */
public record VcpuHostTime(long cpuNanos, long waitNanos, boolean stopped, int sharedBy) {

    public VcpuHostTime {
        if (sharedBy < 1) {
            throw new IllegalArgumentException("sharedBy must be at least 1, got " + sharedBy);
        }
    }

    /** Whether the host said how long the thread waited for a CPU. */
    public boolean waitKnown() {
        return waitNanos >= 0;
    }

    /**
     * Reads a host thread's times from its {@code /proc/<pid>/task/<tid>} directory: {@code schedstat} (time on a CPU,
     * time waiting for one), else {@code stat}'s utime + stime (clock ticks, no wait time); the state from {@code stat}.
     * Empty when the thread is gone or the files cannot be read.
     */
    public static Optional<VcpuHostTime> ofThread(Path taskDir, int sharedBy) {
        try {
            String stat = Files.readString(taskDir.resolve("stat"));
            // "tid (comm) S ppid ...": fields after the last ')' (comm may hold one), state first
            int close = stat.lastIndexOf(')');
            if (close < 0 || close + 2 >= stat.length()) {
                return Optional.empty();
            }
            String[] f = stat.substring(close + 2).trim().split(" +");
            char state = f[0].isEmpty() ? '?' : f[0].charAt(0);
            boolean stopped = state == 'T' || state == 't';
            long cpu = -1;
            long wait = -1;
            Path schedstat = taskDir.resolve("schedstat");
            if (Files.isReadable(schedstat)) {
                String[] s = Files.readString(schedstat).trim().split(" +");
                if (s.length >= 2) {
                    cpu = Long.parseLong(s[0]);
                    wait = Long.parseLong(s[1]);
                }
            }
            if (cpu < 0 && f.length > 12) {
                // utime and stime are fields 14 and 15 of stat, 12 and 13 after the state
                long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                cpu = ticks * (1_000_000_000L / CLOCK_TICKS);
            }
            return cpu < 0 ? Optional.empty() : Optional.of(new VcpuHostTime(cpu, wait, stopped, sharedBy));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // the thread went away, or /proc is not what we expect
        }
    }

    /** USER_HZ: what /proc's tick counts are in (100 on every Linux architecture we run on). */
    private static final long CLOCK_TICKS = 100;
}
