package dev.jktstr.scenario;

import dev.jktstr.introspect.DsqState;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.SchedExtState;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.StallDetector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the guest-memory snapshots of a run showed: the subject of the monitor claims ({@code monitor.imbalanceP90},
 * {@code monitor.maxLocalDsqDepth}, {@code monitor.rqClockStalls}, {@code monitor.schedExtErrorExits}). A value is
 * NaN when it could not be measured (introspection unavailable, no samples), which makes its claim inconclusive.
 *
 * @param status {@code sampled}, {@code off} (the kernel has no vmlinux/System.map, or monitoring was switched off)
 *     or {@code unavailable: <reason>} (attaching or sampling failed)
 * @param samples snapshots taken while holding
 * @param stalls runnable CPUs whose rq clock stood still across {@link #STALL_WINDOW} samples
 * @param judgedStalls the same stalls, each with what the host did meanwhile ({@link JudgedStall})
 * @param schedExtExpected whether a sched_ext scheduler was meant to be attached
 * @param schedExtState {@code enable_state} in the last sample ("" when unknown)
 * @param exitKind {@code scx_exit_kind} in the last sample ("" when unknown)
 * @param errorExitSamples samples whose exit kind was an error kind ({@code SCX_EXIT_ERROR*})
 * @param fieldErrors fields the walkers could not read, over all samples
 * @param snapshots snapshots taken by {@link Op#snapshot()} ops (kept whole for the result file)
 * @param dsqsSampled whether the samples carried the DSQ walk (local, global and user DSQs)
 * @param dsqDepths every DSQ seen, with its depth ({@code nr}) over the samples it was seen in
 */
public record MonitorSummary(String status, int samples, double meanImbalance, double p90Imbalance, double maxImbalance,
        double maxDsqDepth, List<StallDetector.Stall> stalls, boolean schedExtExpected, boolean hasSchedExt,
        String schedExtState, String exitKind, int errorExitSamples, int fieldErrors, List<Snapshot> snapshots,
        boolean dsqsSampled, List<DsqDepth> dsqDepths, List<JudgedStall> judgedStalls)
        implements Labeled {

    /**
     * A stall and whose it was, from what the host gave the vCPU over it ({@link dev.jktstr.machine.Machine#vcpuHostTime}):
     * {@code host} — the host held the vCPU back (it waited for a host CPU or was stopped for half of the stall or
     * more) and the vCPU either got almost no host CPU time (under 10%) or less than it was held back: the stall says
     * nothing sure about the guest (the run is INCONCLUSIVE when no stall was the guest's);
     * {@code guest} — the vCPU ran on the host, at least as long as it was held back, and the clock still stood;
     * {@code guest-halted} — the vCPU barely ran but was not held back either: it slept, the guest halted it with
     * tasks runnable; {@code unknown} — the backend gives no host times (judged as a guest stall, as before).
     *
     * @param wallNanos the stall's length, first to last sample
     * @param curr      the task current on the CPU in the stall's first sample ({@code comm/pid})
     * @param host      what the host gave the vCPU meanwhile, in words ("" when unknown)
     */
    public record JudgedStall(StallDetector.Stall stall, String cause, long wallNanos, String curr, String host) {
        public boolean hostCaused() {
            return cause.equals("host");
        }

        /** One line: {@code cpu 1, samples 3–7 (1004 ms, 2 runnable, current spin/123): host — ran 1 ms ...}. */
        public String describe() {
            return "cpu " + stall.cpu() + ", samples " + stall.firstSample() + "–" + stall.lastSample() + " ("
                    + Math.round(wallNanos / 1e6) + " ms, " + stall.nrRunning() + " runnable"
                    + (curr.isEmpty() ? "" : ", current " + curr) + "): " + cause + (host.isEmpty() ? "" : " — " + host);
        }
    }

    /**
     * One dispatch queue over a run's samples.
     *
     * @param kind    {@code local} (owner: the CPU), {@code global} (owner: the NUMA node) or {@code user} (created by
     *                the scheduler; owner -1)
     * @param id      the DSQ id (the scheduler's own for user DSQs)
     * @param samples samples it was seen in
     * @param maxDepth deepest {@code nr} seen
     * @param meanDepth mean {@code nr} over those samples
     */
    public record DsqDepth(String kind, int owner, long id, int samples, long maxDepth, double meanDepth) {
        /** {@code global[0]}, {@code user 0x1}, {@code local[cpu 1]}. */
        public String name() {
            return switch (kind) {
                case "local" -> "local[cpu " + owner + "]";
                case "global" -> "global[node " + owner + "]";
                default -> kind + " 0x" + Long.toHexString(id);
            };
        }
    }

    /** Consecutive samples with a frozen clock on a runnable CPU that make a stall (1 s at the 250 ms interval). */
    public static final int STALL_WINDOW = 4;
    /**
     * The least time from a stall's first sample to its last: {@link #STALL_WINDOW} samples at the 250 ms interval.
     * The sampler runs at a fixed rate, so after it was held up (a busy host) it takes its missed samples back to
     * back; four of those can span 80 ms, which says nothing about a 1000 Hz kernel's clock.
     */
    public static final long MIN_STALL_NANOS = (STALL_WINDOW - 1) * 250_000_000L;

    public MonitorSummary {
        stalls = List.copyOf(stalls);
        snapshots = List.copyOf(snapshots);
        dsqDepths = List.copyOf(dsqDepths);
        judgedStalls = List.copyOf(judgedStalls);
    }

    /** No monitoring: {@code status} says why; every value NaN. */
    public static MonitorSummary notSampled(String status, List<Snapshot> snapshots) {
        return new MonitorSummary(status, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, List.of(), false, false,
                "", "", 0, 0, snapshots, false, List.of(), List.of());
    }

    /** The summary of a hold's sample series, without host times (every stall is judged a guest stall). */
    public static MonitorSummary of(List<Snapshot> series, boolean schedExtExpected, List<Snapshot> snapshots) {
        return of(series, schedExtExpected, snapshots, HostTimeline.Source.NONE);
    }

    /** The summary of a hold's sample series; each stall judged against what {@code host} says the vCPU got. */
    static MonitorSummary of(List<Snapshot> series, boolean schedExtExpected, List<Snapshot> snapshots,
            HostTimeline.Source host) {
        List<Double> imbalances = new ArrayList<>();
        double maxDsq = Double.NaN;
        boolean scx = false;
        String state = "";
        String exitKind = "";
        int errorExits = 0;
        int fieldErrors = 0;
        boolean dsqsSampled = false;
        Map<String, long[]> dsqs = new LinkedHashMap<>(); // key -> {samples, max, sum}
        Map<String, DsqState> dsqKeys = new LinkedHashMap<>();
        int judgedSamples = 0;
        for (Snapshot s : series) {
            SchedExtState x = s.schedExt();
            // a sched_ext run's balance and queues are its scheduler's only while it is attached: after it exits
            // (an expected error, say) the kernel's fallback runs the tasks, and those samples judge nothing of it
            boolean judged = !schedExtExpected || x == null || x.enableState() == null || x.enableState().equals("enabled");
            if (x != null && (x.enableState() != null || x.exitKind() != null)) {
                scx = true;
                state = x.enableState() == null ? "" : x.enableState();
                exitKind = x.exitKind() == null ? "" : x.exitKind();
                if (isErrorExit(x.exitKind())) {
                    errorExits++;
                }
            }
            fieldErrors += s.allErrors().size();
            if (!judged) {
                continue;
            }
            judgedSamples++;
            dsqsSampled |= !s.dsqs().isEmpty();
            for (DsqState d : s.dsqs()) {
                String key = d.kind() + "/" + d.owner() + "/" + d.id();
                dsqKeys.putIfAbsent(key, d);
                long[] acc = dsqs.computeIfAbsent(key, k -> new long[3]);
                acc[0]++;
                acc[1] = Math.max(acc[1], d.depth());
                acc[2] += d.depth();
            }
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            int readable = 0;
            for (RunqueueState r : s.runqueues()) {
                if (r.nrRunning() != null) {
                    lo = Math.min(lo, r.nrRunning());
                    hi = Math.max(hi, r.nrRunning());
                    readable++;
                }
                if (r.localDsqDepth() != null) {
                    maxDsq = Double.isNaN(maxDsq) ? r.localDsqDepth() : Math.max(maxDsq, r.localDsqDepth());
                }
            }
            if (readable >= 2) {
                imbalances.add((double) (hi - lo));
            } else if (readable == 1) {
                imbalances.add(0.0);
            }
        }
        List<StallDetector.Stall> stalls = series.size() >= STALL_WINDOW
                ? new StallDetector(STALL_WINDOW).detect(series).stream().filter(st -> series.get(st.lastSample()).monotonicNanos()
                        - series.get(st.firstSample()).monotonicNanos() >= MIN_STALL_NANOS).toList()
                : List.of();
        List<JudgedStall> judged = stalls.stream().map(st -> judge(st, series, host)).toList();
        double mean = imbalances.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double max = imbalances.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        List<DsqDepth> depths = new ArrayList<>();
        dsqs.forEach((key, acc) -> {
            DsqState d = dsqKeys.get(key);
            depths.add(new DsqDepth(d.kind(), d.owner(), d.id(), (int) acc[0], acc[1], (double) acc[2] / acc[0]));
        });
        // every sample came after the scheduler under test had gone (an early exit): nothing of it to judge
        String status = series.isEmpty() ? "unavailable: no samples" : judgedSamples == 0
                ? "off: the sched_ext scheduler was no longer attached at any sample" : "sampled";
        return new MonitorSummary(status, series.size(), mean,
                percentile(imbalances, 0.90), max, maxDsq, stalls, schedExtExpected, scx, state, exitKind, errorExits,
                fieldErrors, snapshots, dsqsSampled, depths, judged);
    }

    /** Whose stall it was: see {@link JudgedStall}. */
    static JudgedStall judge(StallDetector.Stall st, List<Snapshot> series, HostTimeline.Source host) {
        long from = series.get(st.firstSample()).monotonicNanos();
        long to = series.get(st.lastSample()).monotonicNanos();
        String curr = series.get(st.firstSample()).runqueue(st.cpu())
                .map(r -> r.currComm() == null ? "" : dev.jktstr.machine.GuestText.line(r.currComm(), 32)
                        + (r.currPid() == null ? "" : "/" + r.currPid()))
                .orElse("");
        Optional<HostTimeline.Share> share = host.share(st.cpu(), from, to);
        if (share.isEmpty()) {
            return new JudgedStall(st, "unknown", to - from, curr, "");
        }
        HostTimeline.Share h = share.get();
        String cause = h.hostDominated() ? "host" : !h.barelyRan() ? "guest" : "guest-halted";
        return new JudgedStall(st, cause, to - from, curr, h.describe());
    }

    /** Whether {@code scx_exit_kind} names an error (SCX_EXIT_ERROR, SCX_EXIT_ERROR_BPF, SCX_EXIT_ERROR_STALL). */
    static boolean isErrorExit(String exitKind) {
        return exitKind != null && exitKind.startsWith("SCX_EXIT_ERROR");
    }

    /** Nearest-rank percentile; NaN for no values. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    @Override
    public String label() {
        return "monitor";
    }

    /** Whether snapshots were sampled (claims are made); false for {@code off}. */
    public boolean sampled() {
        return !status.startsWith("off");
    }

    // ---- metrics (method references give the claims their labels)

    /** p90 over samples of (max − min) nr_running across CPUs. */
    public double imbalanceP90() {
        return p90Imbalance;
    }

    /** The deepest local DSQ ({@code rq->scx.local_dsq.nr}) seen on any CPU in any sample. */
    public double maxLocalDsqDepth() {
        return maxDsqDepth;
    }

    /**
     * The deepest global DSQ (any NUMA node's) in any sample; NaN when none was seen (no samples, DSQs not sampled,
     * or sched_ext never enabled since boot: the kernel allocates the global DSQs on the first enable).
     */
    public double maxGlobalDsqDepth() {
        return maxOf("global");
    }

    /** The deepest DSQ the scheduler created itself ({@code dsq_hash}) in any sample; NaN when there was none. */
    public double maxUserDsqDepth() {
        return maxOf("user");
    }

    /** The ids of the user DSQs seen (the scheduler's own), ascending. */
    public List<Long> userDsqIds() {
        return dsqDepths.stream().filter(d -> d.kind().equals("user")).map(DsqDepth::id).distinct().sorted().toList();
    }

    private double maxOf(String kind) {
        return dsqDepths.stream().filter(d -> d.kind().equals(kind)).mapToDouble(DsqDepth::maxDepth).max().orElse(Double.NaN);
    }

    /** How many rq clock stalls the samples show (the host's included); NaN without samples. */
    public double rqClockStalls() {
        return samples == 0 ? Double.NaN : stalls.size();
    }

    /** Stalls the host caused: the vCPU got almost no host CPU time while the host held it back. */
    public int hostCausedStalls() {
        return (int) judgedStalls.stream().filter(JudgedStall::hostCaused).count();
    }

    /** Stalls not put down to the host (guest, guest-halted, or unknown). */
    public int guestStalls() {
        return stalls.size() - hostCausedStalls();
    }

    /** Samples that showed an error exit kind; NaN without samples. */
    public double schedExtErrorExits() {
        return samples == 0 ? Double.NaN : errorExitSamples;
    }

    /** One line for the verdict's notes. */
    public String describe() {
        if (!status.equals("sampled")) {
            return "monitor: " + status;
        }
        return "monitor: " + samples + " samples, imbalance mean " + Verdict.fmt(meanImbalance) + " p90 "
                + Verdict.fmt(p90Imbalance) + " max " + Verdict.fmt(maxImbalance) + ", max local DSQ depth "
                + Verdict.fmt(maxDsqDepth) + ", " + stalls.size() + " rq clock stall(s)"
                + (hostCausedStalls() > 0 ? " (" + hostCausedStalls() + " while the host held the vCPU back)" : "")
                + (hasSchedExt ? ", sched_ext " + schedExtState + " (" + exitKind + ")" : "")
                + (dsqsSampled ? ", global DSQ max " + Verdict.fmt(maxGlobalDsqDepth()) + ", user DSQs "
                        + (userDsqIds().isEmpty() ? "none" : String.join(" ", dsqDepths.stream().filter(d -> d.kind().equals("user"))
                                .sorted(java.util.Comparator.comparingLong(DsqDepth::id)).map(d -> "0x" + Long.toHexString(d.id()) + " max " + d.maxDepth()).toList())) : "")
                + (fieldErrors > 0 ? ", " + fieldErrors + " unreadable field(s)" : "");
    }

    Optional<String> unavailableReason() {
        return status.startsWith("unavailable") ? Optional.of(status) : Optional.empty();
    }
}
