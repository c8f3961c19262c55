package dev.jktstr.scenario;

import dev.jktstr.guest.WorkerTelemetry;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * The telemetry of one cgroup's workers and the metrics the checks use (each a method, so claims label themselves).
 *
 * @param cpuset    the CPUs the cgroup's workers were allowed (its cpuset, or its workers' affinity), empty if unrestricted
 * @param blocking  whether the work type sleeps or waits by design
 */
public record CgroupStats(String name, String workType, boolean blocking, Optional<BitSet> cpuset, List<WorkerTelemetry> workers)
        implements Labeled {

    public CgroupStats {
        workers = List.copyOf(workers);
        cpuset = cpuset.map(b -> (BitSet) b.clone());
    }

    @Override
    public String label() {
        return name;
    }

    public double workerCount() {
        return workers.size();
    }

    /** Workers that did no iteration, or did not report when stopped. */
    public double stuckWorkers() {
        return workers.stream().filter(w -> !w.finished() || w.iterations() == 0).count();
    }

    /** The longest any worker was kept from running, in ms. */
    public double maxGapMs() {
        return workers.stream().mapToLong(WorkerTelemetry::maxGapNanos).max().orElse(0) / 1e6;
    }

    /** (max − min) / mean of the workers' CPU time; 0 = perfectly fair. NaN without CPU time. */
    public double fairnessSpread() {
        double[] cpu = workers.stream().mapToDouble(WorkerTelemetry::cpuNanos).toArray();
        double mean = mean(cpu);
        if (!(mean > 0)) {
            return Double.NaN;
        }
        double max = java.util.Arrays.stream(cpu).max().orElse(0), min = java.util.Arrays.stream(cpu).min().orElse(0);
        return (max - min) / mean;
    }

    /** Coefficient of variation of the workers' work units (stddev / mean). NaN without work. */
    public double throughputCv() {
        double[] u = workers.stream().mapToDouble(WorkerTelemetry::workUnits).toArray();
        double mean = mean(u);
        if (!(mean > 0)) {
            return Double.NaN;
        }
        double var = java.util.Arrays.stream(u).map(x -> (x - mean) * (x - mean)).sum() / u.length;
        return Math.sqrt(var) / mean;
    }

    /** The slowest worker's work units per second of its wall time. */
    public double minWorkRate() {
        return workers.stream().mapToDouble(w -> w.wallNanos() > 0 ? w.workUnits() / (w.wallNanos() / 1e9) : 0).min().orElse(0);
    }

    /** The worst worker's p99 wake latency in µs; NaN when no worker took wake samples. */
    public double p99WakeLatencyUs() {
        return workers.stream().filter(w -> w.wakeCount() > 0).mapToLong(WorkerTelemetry::wakeP99Nanos).max()
                .stream().mapToDouble(n -> n / 1e3).findFirst().orElse(Double.NaN);
    }

    /** CPU changes per iteration, over all workers. */
    public double migrationRatio() {
        long it = workers.stream().mapToLong(WorkerTelemetry::iterations).sum();
        long mig = workers.stream().mapToLong(WorkerTelemetry::migrations).sum();
        return it == 0 ? Double.NaN : (double) mig / it;
    }

    /** Workers seen on a CPU outside the cgroup's allowed set. */
    public double workersOutsideCpuset() {
        if (cpuset.isEmpty()) {
            return 0;
        }
        BitSet allowed = cpuset.get();
        return workers.stream().filter(w -> w.cpusUsed().stream().anyMatch(c -> !allowed.get(c))).count();
    }

    /** Every CPU any worker was seen on. */
    public List<Integer> cpusUsed() {
        return workers.stream().flatMap(w -> w.cpusUsed().stream()).distinct().sorted().toList();
    }

    public double totalWorkUnits() {
        return workers.stream().mapToLong(WorkerTelemetry::workUnits).sum();
    }

    /** Mean share of wall time the workers spent waiting for a CPU (schedstat run delay); NaN when unknown. */
    public double runDelayShare() {
        return workers.stream().filter(w -> w.runDelayNanos() >= 0 && w.wallNanos() > 0)
                .mapToDouble(w -> (double) w.runDelayNanos() / w.wallNanos()).average().orElse(Double.NaN);
    }

    /** Work units per worker, in spawn order. */
    public List<Double> workUnitsPerWorker() {
        return workers.stream().map(w -> (double) w.workUnits()).toList();
    }

    private static double mean(double[] v) {
        return v.length == 0 ? Double.NaN : java.util.Arrays.stream(v).average().orElse(Double.NaN);
    }
}
