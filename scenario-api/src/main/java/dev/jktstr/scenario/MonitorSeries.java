package dev.jktstr.scenario;

import dev.jktstr.introspect.DsqState;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.Snapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The monitor's samples as time series (issue 17 part 5, issue 18 part 4): one timestamp per sample, per CPU its
 * runqueue depth ({@code nr_running}) and local DSQ depth, and every DSQ's depth. A value the sample could not read
 * (or a DSQ that did not exist yet) is {@code null}. Immutable.
 *
 * @param atMs when each sample was taken, milliseconds since the run started (host monotonic clock)
 * @param cpus one series per CPU, by CPU id
 * @param dsqs one series per DSQ seen in any sample (local per CPU, global per node, user by id)
 */
public record MonitorSeries(List<Long> atMs, List<CpuSeries> cpus, List<DsqSeries> dsqs) {
    public static final MonitorSeries EMPTY = new MonitorSeries(List.of(), List.of(), List.of());

    public MonitorSeries {
        atMs = List.copyOf(atMs);
        cpus = List.copyOf(cpus);
        dsqs = List.copyOf(dsqs);
    }

    /** One CPU's series; entries are null where the sample could not read the field. */
    public record CpuSeries(int cpu, List<Long> nrRunning, List<Long> localDsqDepth) {
        public CpuSeries {
            nrRunning = nullable(nrRunning);
            localDsqDepth = nullable(localDsqDepth);
        }
    }

    /** One DSQ's depth ({@code nr}) per sample; null in samples where it was not seen. */
    public record DsqSeries(String kind, int owner, long id, List<Long> depth) {
        public DsqSeries {
            depth = nullable(depth);
        }

        /** How the report and the result file name it: {@code local cpu1}, {@code global node0}, {@code user 0x1}. */
        public String label() {
            return switch (kind) {
                case "local" -> "local cpu" + owner;
                case "global" -> "global node" + owner;
                default -> kind + " 0x" + Long.toHexString(id);
            };
        }
    }

    public int samples() {
        return atMs.size();
    }

    /** Aggregated over CPUs: the sum of {@code nr_running} per sample (null when no CPU could be read). */
    public List<Long> totalNrRunning() {
        return aggregate(true);
    }

    /** Aggregated over CPUs: max − min {@code nr_running} per sample, the imbalance the monitor judges. */
    public List<Long> imbalance() {
        return aggregate(false);
    }

    private List<Long> aggregate(boolean sum) {
        Long[] out = new Long[atMs.size()];
        for (int i = 0; i < out.length; i++) {
            long total = 0, lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
            boolean any = false;
            for (CpuSeries c : cpus) {
                Long v = c.nrRunning().get(i);
                if (v != null) {
                    any = true;
                    total += v;
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            out[i] = !any ? null : sum ? total : hi - lo;
        }
        return nullable(Arrays.asList(out));
    }

    /** The series of {@code samples}, timed against the run's start ({@code System.nanoTime()} at {@code t0}). */
    static MonitorSeries of(List<Snapshot> samples, long t0) {
        int n = samples.size();
        List<Long> at = new ArrayList<>(n);
        Map<Integer, Long[][]> cpus = new TreeMap<>();
        Map<String, DsqState> dsqKeys = new LinkedHashMap<>();
        Map<String, Long[]> dsqDepths = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Snapshot s = samples.get(i);
            at.add(Math.max(0, (s.monotonicNanos() - t0) / 1_000_000));
            for (RunqueueState r : s.runqueues()) {
                Long[][] c = cpus.computeIfAbsent(r.cpu(), k -> new Long[][] {new Long[n], new Long[n]});
                c[0][i] = r.nrRunning();
                c[1][i] = r.localDsqDepth();
            }
            for (DsqState d : s.dsqs()) {
                String key = d.kind() + "/" + d.owner() + "/" + d.id();
                dsqKeys.putIfAbsent(key, d);
                dsqDepths.computeIfAbsent(key, k -> new Long[n])[i] = d.depth();
            }
        }
        List<CpuSeries> cs = new ArrayList<>();
        cpus.forEach((cpu, v) -> cs.add(new CpuSeries(cpu, Arrays.asList(v[0]), Arrays.asList(v[1]))));
        List<DsqSeries> ds = new ArrayList<>();
        dsqKeys.forEach((k, d) -> ds.add(new DsqSeries(d.kind(), d.owner(), d.id(), Arrays.asList(dsqDepths.get(k)))));
        return new MonitorSeries(at, cs, ds);
    }

    /** An unmodifiable copy that keeps nulls (List.copyOf refuses them). */
    static <T> List<T> nullable(List<T> l) {
        return Collections.unmodifiableList(new ArrayList<>(l));
    }
}
