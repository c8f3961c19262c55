package dev.jktstr.jmh;

import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.scenario.CgroupStats;
import dev.jktstr.scenario.RunResult;
import java.util.List;

/**
 * What one workload step measured inside the guest, over every worker of every cgroup: the numbers a benchmark
 * reports as JMH secondary results ({@link GuestMetrics}).
 *
 * @param workUnitsPerSec  sum over workers of work units per second of the worker's own wall time
 * @param wakeP50Us        median over workers (that took wake samples) of their p50 wake latency; NaN if none did
 * @param wakeP99Us        the worst worker's p99 wake latency; NaN if no worker took wake samples
 * @param migrationsPerSec CPU changes over all workers, per second of mean worker wall time
 * @param runDelayPct      mean share of wall time workers waited for a CPU, in percent; NaN if unknown
 */
public record StepMetrics(double workUnitsPerSec, double wakeP50Us, double wakeP99Us, double migrationsPerSec,
        double runDelayPct) {

    public static StepMetrics of(RunResult r) {
        return of(r.cgroups());
    }

    public static StepMetrics of(List<CgroupStats> cgroups) {
        List<WorkerTelemetry> ws = cgroups.stream().flatMap(c -> c.workers().stream()).toList();
        double rate = ws.stream().filter(w -> w.wallNanos() > 0).mapToDouble(w -> w.workUnits() / (w.wallNanos() / 1e9)).sum();
        double[] p50 = ws.stream().filter(w -> w.wakeCount() > 0).mapToDouble(w -> w.wakeP50Nanos() / 1e3).sorted().toArray();
        double p50Median = p50.length == 0 ? Double.NaN
                : p50.length % 2 == 1 ? p50[p50.length / 2] : (p50[p50.length / 2 - 1] + p50[p50.length / 2]) / 2;
        double p99 = ws.stream().filter(w -> w.wakeCount() > 0).mapToDouble(w -> w.wakeP99Nanos() / 1e3).max().orElse(Double.NaN);
        double wallSec = ws.stream().filter(w -> w.wallNanos() > 0).mapToDouble(w -> w.wallNanos() / 1e9).average().orElse(0);
        long migrations = ws.stream().mapToLong(WorkerTelemetry::migrations).sum();
        double migRate = wallSec > 0 ? migrations / wallSec : Double.NaN;
        double delay = cgroups.stream().mapToDouble(CgroupStats::runDelayShare).filter(d -> !Double.isNaN(d)).average()
                .orElse(Double.NaN) * 100;
        return new StepMetrics(rate, p50Median, p99, migRate, delay);
    }
}
