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
 * @param gapHost   per worker (same order), what the host did during its longest gap
 */
public record CgroupStats(String name, String workType, boolean blocking, Optional<BitSet> cpuset, List<WorkerTelemetry> workers,
        List<GapHost> gapHost)
        implements Labeled {

    /**
     * What the host did while a worker waited through its longest gap, from what it gave the worker's vCPU then
     * ({@link dev.jktstr.machine.Machine#vcpuHostTime}).
     *
     * @param blameNanos the part of the gap the host was to blame for: the stretches in which the vCPU got almost no
     *                   host CPU time while the host held it back (it waited for a host CPU or was stopped), judged in
     *                   100 ms windows; a vCPU that ran, however slowly, or slept is not the host's doing. -1 when not
     *                   known
     * @param host       what the host gave the vCPU over the gap, in words ("" when not known)
     */
    public record GapHost(long blameNanos, String host) {
        public static final GapHost UNKNOWN = new GapHost(-1, "");
    }

    public CgroupStats {
        workers = List.copyOf(workers);
        cpuset = cpuset.map(b -> (BitSet) b.clone());
        gapHost = gapHost == null || gapHost.size() != workers.size()
                ? java.util.Collections.nCopies(workers.size(), GapHost.UNKNOWN) : List.copyOf(gapHost);
    }

    /** Without host times: every gap is the guest's. */
    public CgroupStats(String name, String workType, boolean blocking, Optional<BitSet> cpuset, List<WorkerTelemetry> workers) {
        this(name, workType, blocking, cpuset, workers, null);
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

    /**
     * The longest gap the guest is to blame for, in ms: each worker's longest gap less the part the host held its vCPU
     * back (the whole gap where that is not known). Equal to {@link #maxGapMs()} without host times.
     */
    public double maxGuestGapMs() {
        long worst = 0;
        for (int i = 0; i < workers.size(); i++) {
            long held = gapHost.get(i).blameNanos();
            worst = Math.max(worst, workers.get(i).maxGapNanos() - Math.max(0, Math.min(held, workers.get(i).maxGapNanos())));
        }
        return worst / 1e6;
    }

    /**
     * The worst gap and how much of it the host was to blame for, in words; empty when no worker had a gap or the host
     * times are not known.
     */
    public Optional<String> gapHostDetail() {
        int worst = -1;
        for (int i = 0; i < workers.size(); i++) {
            if (workers.get(i).maxGapNanos() > 0 && (worst < 0 || workers.get(i).maxGapNanos() > workers.get(worst).maxGapNanos())) {
                worst = i;
            }
        }
        if (worst < 0 || gapHost.get(worst).blameNanos() < 0) {
            return Optional.empty();
        }
        WorkerTelemetry w = workers.get(worst);
        GapHost h = gapHost.get(worst);
        long held = Math.min(h.blameNanos(), w.maxGapNanos());
        return Optional.of("worst gap " + Math.round(w.maxGapNanos() / 1e6) + " ms (pid " + w.pid() + ", cpu " + w.maxGapCpu()
                + "): the host was to blame for " + Math.round(held / 1e6) + " ms of it, starving its vCPU (which " + h.host()
                + "); the guest's part " + Math.round((w.maxGapNanos() - held) / 1e6) + " ms; the guest's worst part over all workers "
                + Verdict.fmt(Math.round(maxGuestGapMs())) + " ms");
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
