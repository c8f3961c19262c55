package dev.jktstr.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * How much the host took from a run: the share of the time the vCPUs wanted to run that the host held them back
 * (their threads waited for a host CPU or were stopped: {@link HostTimeline}), and the share of host CPU time the
 * host's own hypervisor stole (the {@code steal} column of {@code /proc/stat}: a CI machine is often itself a VM, and
 * time stolen from it is invisible to its scheduler's wait times). Two runs of the same work compare fairly only when
 * these agree; {@code perf-delta} withholds verdicts on host-bound metrics when they do not.
 *
 * @param vcpuHeldShare held-back time / (ran + held-back time), summed over the vCPUs; NaN when the backend gives no
 *                      host times
 * @param stealShare    stolen / all host CPU time over the run; NaN where the host has no {@code /proc/stat}
 */
public record HostInterference(double vcpuHeldShare, double stealShare) {
    public static final HostInterference UNKNOWN = new HostInterference(Double.NaN, Double.NaN);

    /** Held back plus stolen, at most 1; empty when neither is known. */
    public OptionalDouble total() {
        if (Double.isNaN(vcpuHeldShare) && Double.isNaN(stealShare)) {
            return OptionalDouble.empty();
        }
        double held = Double.isNaN(vcpuHeldShare) ? 0 : vcpuHeldShare;
        double steal = Double.isNaN(stealShare) ? 0 : stealShare;
        return OptionalDouble.of(Math.min(1, held + steal));
    }

    /** The host's cumulative CPU times at one moment ({@code /proc/stat}'s aggregate line), to take steal over a run. */
    record CpuTimes(long total, long steal) {
        static final CpuTimes NONE = new CpuTimes(-1, -1);

        static CpuTimes now() {
            return read(Path.of("/proc/stat"));
        }

        static CpuTimes read(Path procStat) {
            try (var lines = Files.lines(procStat)) {
                return lines.filter(l -> l.startsWith("cpu ")).findFirst().map(CpuTimes::parse).orElse(NONE);
            } catch (IOException | RuntimeException e) {
                return NONE;
            }
        }

        /** {@code cpu  user nice system idle iowait irq softirq steal guest guest_nice}: guest time is in user. */
        static CpuTimes parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 9) {
                return NONE;
            }
            long total = 0;
            for (int i = 1; i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            return new CpuTimes(total, Long.parseLong(f[8]));
        }

        /** Steal's share of the time from {@code earlier} to this reading; NaN when either is unknown or no time passed. */
        double stealShareSince(CpuTimes earlier) {
            if (total < 0 || earlier.total < 0 || total <= earlier.total) {
                return Double.NaN;
            }
            return Math.max(0, (double) (steal - earlier.steal) / (total - earlier.total));
        }
    }
}
