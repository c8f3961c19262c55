package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds CPUs that have runnable tasks but whose runqueue clock stops: across {@code window}
 * consecutive samples the CPU had {@code nr_running > 0} and {@code rq->clock} did not change. Idle
 * CPUs (nr_running 0) are exempt — a NOHZ-idle CPU legitimately stops its clock. Samples with an
 * unreadable clock or nr_running break a run.
 */
public final class StallDetector {

    /**
     * One stall: {@code cpu} was runnable with a frozen clock from sample {@code firstSample} through
     * {@code lastSample} (indices into the series).
     */
    public record Stall(int cpu, int firstSample, int lastSample, long clock, long nrRunning) {}

    private final int window;

    /** @param window how many consecutive samples must show the frozen clock (at least 2) */
    public StallDetector(int window) {
        if (window < 2) {
            throw new IllegalArgumentException("a stall needs at least 2 samples, got " + window);
        }
        this.window = window;
    }

    /** Every maximal stall in {@code series}, oldest first. */
    public List<Stall> detect(List<Snapshot> series) {
        List<Stall> out = new ArrayList<>();
        Map<Integer, Integer> runStart = new HashMap<>();
        Map<Integer, Long> runClock = new HashMap<>();
        Map<Integer, Long> runNr = new HashMap<>();
        for (int i = 0; i <= series.size(); i++) {
            Map<Integer, RunqueueState> now = new HashMap<>();
            if (i < series.size()) {
                for (RunqueueState r : series.get(i).runqueues()) {
                    now.put(r.cpu(), r);
                }
            }
            // Close runs that do not continue into sample i.
            for (Integer cpu : List.copyOf(runStart.keySet())) {
                RunqueueState r = now.get(cpu);
                boolean continues = r != null && r.nrRunning() != null && r.nrRunning() > 0 && r.clock() != null
                        && r.clock().equals(runClock.get(cpu));
                if (!continues) {
                    int start = runStart.remove(cpu);
                    long clock = runClock.remove(cpu);
                    long nr = runNr.remove(cpu);
                    if (i - start >= window) {
                        out.add(new Stall(cpu, start, i - 1, clock, nr));
                    }
                }
            }
            for (RunqueueState r : now.values()) {
                if (!runStart.containsKey(r.cpu()) && r.nrRunning() != null && r.nrRunning() > 0 && r.clock() != null) {
                    runStart.put(r.cpu(), i);
                    runClock.put(r.cpu(), r.clock());
                    runNr.put(r.cpu(), r.nrRunning());
                }
            }
        }
        out.sort(java.util.Comparator.comparingInt(Stall::firstSample).thenComparingInt(Stall::cpu));
        return out;
    }
}
