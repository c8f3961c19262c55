package dev.jktstr.scenario;

import dev.jktstr.machine.Machine;
import dev.jktstr.machine.VcpuHostTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * What the host gave each vCPU over a run: every {@link #TICK} a reading of {@link Machine#vcpuHostTime} per vCPU
 * (CPU time, time waiting for a host CPU, stopped or not), so that any interval of the run — a frozen rq clock, a
 * worker's gap — can be split into the time the vCPU ran, the time the host held it back (waited for a host CPU, or
 * was stopped: SIGSTOP, a VMM pause) and the rest (it slept: the guest halted it). A daemon platform thread reads;
 * {@link #close()} stops it. Bounded ({@link #MAX_POINTS}: over three hours); intervals outside what was recorded are
 * not known.
 */
final class HostTimeline implements AutoCloseable {
    /** Reading interval: fine against the stalls and gaps judged (hundreds of ms and up); a few /proc reads each. */
    static final Duration TICK = Duration.ofMillis(20);
    static final int MAX_POINTS = 1 << 19;

    /**
     * How an interval of the run went for one vCPU, from the host's side.
     *
     * @param wallNanos    the interval
     * @param ranNanos     host CPU time of the vCPU's thread in it, divided among the vCPUs that share that thread
     * @param heldNanos    time the thread was runnable but waited for a host CPU, or was stopped (the host's doing; a
     *                     shared thread holds back every vCPU it runs); -1 when the host says nothing about waiting
     * @param stoppedNanos the stopped part of {@code heldNanos}
     * @param sharedBy     vCPUs sharing the thread (single-threaded TCG: all)
     */
    record Share(long wallNanos, long ranNanos, long heldNanos, long stoppedNanos, int sharedBy) {
        /** The vCPU ran for less than {@link #STARVED_RAN_SHARE} of the interval. */
        boolean barelyRan() {
            return ranNanos < STARVED_RAN_SHARE * wallNanos;
        }

        /** The host held the vCPU back for at least {@link #HELD_SHARE} of the interval (unknown counts as held). */
        boolean heldBack() {
            return heldNanos < 0 || heldNanos >= HELD_SHARE * wallNanos;
        }

        /**
         * The host, more than the guest, kept the vCPU from running: held back ({@link #heldBack()}) and either it
         * barely ran or the host held it back longer than it let it run. A vCPU that got a fifth of a crowded host CPU
         * and waited for half the interval (seen under TCG on a 2-core CI host) has not shown what its guest would do.
         */
        boolean hostDominated() {
            return heldBack() && (barelyRan() || blameNanos() > ranNanos);
        }

        /** The host's part of the interval, at most the interval; 0 when unknown. */
        long blameNanos() {
            return Math.min(wallNanos, Math.max(0, heldNanos));
        }

        String describe() {
            return "ran " + ms(ranNanos) + " of " + ms(wallNanos) + " on the host"
                    + (sharedBy > 1 ? " (its share of one thread for " + sharedBy + " vCPUs)" : "")
                    + (heldNanos < 0 ? ", wait time unknown" : ", held back " + ms(heldNanos)
                    + (stoppedNanos > 0 ? " (stopped " + ms(stoppedNanos) + ")" : ""));
        }
    }

    /** Below this share of an interval on a host CPU, a vCPU "got almost no host CPU time". */
    static final double STARVED_RAN_SHARE = 0.10;
    /** At least this share of an interval waiting or stopped: the host, not the guest, kept the vCPU from running. */
    static final double HELD_SHARE = 0.50;

    /**
     * The window {@link #starvedNanos} judges at a time: long enough that a vCPU slowed down evenly by a busy host
     * (a fair share of a host CPU, in host timeslices of a few ms) is not counted as starved, short enough to find
     * the stretches a stopped or crowded-out vCPU did not run at all; also single-threaded TCG's turn (QEMU kicks the
     * running vCPU every 100 ms).
     */
    static final Duration STARVED_WINDOW = Duration.ofMillis(100);

    /** Answers {@link #share}; a test double for {@link MonitorSummary} and {@link Assert}. */
    @FunctionalInterface
    interface Source {
        Optional<Share> share(int cpu, long fromNanos, long toNanos);

        Source NONE = (cpu, from, to) -> Optional.empty();
    }

    private final Machine machine;
    private final int cpus;
    private final Thread thread;
    private final Object lock = new Object();
    // guarded by lock
    private long[] at = new long[1024];
    private long[][] ran;
    private long[][] waited; // -1: unknown
    private boolean[][] stopped;
    private int[] sharedBy;
    private boolean[] known;
    private int n;
    private volatile boolean closed;

    private HostTimeline(Machine machine, int cpus) {
        this.machine = machine;
        this.cpus = cpus;
        ran = new long[cpus][1024];
        waited = new long[cpus][1024];
        stopped = new boolean[cpus][1024];
        sharedBy = new int[cpus];
        known = new boolean[cpus];
        Arrays.fill(sharedBy, 1);
        thread = Thread.ofPlatform().daemon().name("jktstr-host-timeline").unstarted(this::loop);
    }

    /** Starts recording {@code machine}'s vCPUs 0..cpus-1 now. */
    static HostTimeline start(Machine machine, int cpus) {
        HostTimeline t = new HostTimeline(machine, cpus);
        t.read();
        t.thread.start();
        return t;
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(TICK);
            } catch (InterruptedException e) {
                return;
            }
            read();
        }
    }

    private void read() {
        long now = System.nanoTime();
        boolean paused;
        try {
            paused = machine.isPaused();
        } catch (RuntimeException e) {
            paused = false;
        }
        VcpuHostTime[] r = new VcpuHostTime[cpus];
        for (int c = 0; c < cpus; c++) {
            try {
                r[c] = machine.vcpuHostTime(c).orElse(null);
            } catch (RuntimeException e) {
                r[c] = null; // the SPI says never, but a reading is not worth a run
            }
        }
        synchronized (lock) {
            if (n >= MAX_POINTS) {
                return;
            }
            if (n == at.length) {
                int len = Math.min(MAX_POINTS, at.length * 2);
                at = Arrays.copyOf(at, len);
                for (int c = 0; c < cpus; c++) {
                    ran[c] = Arrays.copyOf(ran[c], len);
                    waited[c] = Arrays.copyOf(waited[c], len);
                    stopped[c] = Arrays.copyOf(stopped[c], len);
                }
            }
            at[n] = now;
            for (int c = 0; c < cpus; c++) {
                if (r[c] == null) {
                    // no reading: carry the last one on (nothing known to have changed), unknown wait
                    ran[c][n] = n == 0 ? 0 : ran[c][n - 1];
                    waited[c][n] = -1;
                    stopped[c][n] = paused;
                } else {
                    known[c] = true;
                    ran[c][n] = r[c].cpuNanos();
                    waited[c][n] = r[c].waitNanos();
                    stopped[c][n] = r[c].stopped() || paused;
                    sharedBy[c] = r[c].sharedBy();
                }
            }
            n++;
        }
    }

    /** Whether the backend gave host times for any vCPU. */
    boolean available() {
        synchronized (lock) {
            for (boolean k : known) {
                if (k) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * How {@code [fromNanos, toNanos]} ({@link System#nanoTime()}) went for {@code cpu} on the host; empty when the
     * backend gave no host times or the interval is not within what was recorded. Cumulative times are interpolated
     * between readings; a stretch between two readings counts as stopped when both saw the thread stopped, half when
     * one did.
     */
    Optional<Share> share(int cpu, long fromNanos, long toNanos) {
        synchronized (lock) {
            if (cpu < 0 || cpu >= cpus || !known[cpu] || n < 2 || toNanos <= fromNanos) {
                return Optional.empty();
            }
            long from = Math.max(fromNanos, at[0]);
            long to = Math.min(toNanos, at[n - 1]);
            // a stall or gap recorded only in part: judge the part we saw, if it is most of it
            if (to - from < (toNanos - fromNanos) * 3 / 4) {
                return Optional.empty();
            }
            long ranNs = interpolate(ran[cpu], from, to);
            long waitNs = -1;
            if (waitKnownBetween(cpu, from, to)) {
                waitNs = interpolate(waited[cpu], from, to);
            }
            long stoppedNs = 0;
            for (int i = Math.max(0, index(from) - 1); i + 1 < n && at[i] <= to; i++) {
                long a = Math.max(at[i], from);
                long b = Math.min(at[i + 1], to);
                if (b > a) {
                    int both = (stopped[cpu][i] ? 1 : 0) + (stopped[cpu][i + 1] ? 1 : 0);
                    stoppedNs += (b - a) * both / 2;
                }
            }
            long wall = to - from;
            long held = waitNs < 0 ? (stoppedNs > 0 ? stoppedNs : -1) : Math.min(wall, waitNs + stoppedNs);
            int shared = sharedBy[cpu];
            return Optional.of(new Share(wall, Math.max(0, ranNs) / shared, held, Math.min(wall, stoppedNs), shared));
        }
    }

    /**
     * How much of {@code [fromNanos, toNanos]} the host starved {@code cpu}, over {@link #STARVED_WINDOW}s: all of a
     * window in which the vCPU barely ran while held back, and the held-back part of one in which the host held it back
     * longer than it let it run ({@link Share#hostDominated()}: a crowded host after a stop, say), added up. A vCPU that
     * ran at least as long as it waited, or slept (the guest halted it), is not starved.
     * Empty when the interval is not known.
     */
    Optional<Long> starvedNanos(int cpu, long fromNanos, long toNanos) {
        if (share(cpu, fromNanos, toNanos).isEmpty()) {
            return Optional.empty();
        }
        long w = STARVED_WINDOW.toNanos();
        long starved = 0;
        for (long a = fromNanos; a < toNanos; a += w) {
            long b = Math.min(toNanos, a + w);
            Optional<Share> s = share(cpu, a, b);
            if (s.isEmpty()) {
                continue;
            }
            if (s.get().barelyRan() && s.get().heldBack()) {
                starved += b - a;
            } else if (s.get().hostDominated()) {
                starved += s.get().blameNanos();
            }
        }
        return Optional.of(starved);
    }

    /**
     * The share of the time the vCPUs wanted to run in {@code [fromNanos, toNanos]} that the host held them back:
     * held / (ran + held), summed over the vCPUs with known wait times; NaN when none is known. A halted vCPU wants
     * nothing, so an idle guest is not "interfered with"; 0 when the vCPUs wanted almost nothing.
     */
    double heldShare(long fromNanos, long toNanos) {
        long ran = 0;
        long held = 0;
        boolean any = false;
        for (int cpu = 0; cpu < cpus; cpu++) {
            Optional<Share> s = share(cpu, fromNanos, toNanos);
            if (s.isPresent() && s.get().heldNanos() >= 0) {
                any = true;
                ran += s.get().ranNanos();
                held += s.get().blameNanos();
            }
        }
        if (!any) {
            return Double.NaN;
        }
        return ran + held < (toNanos - fromNanos) / 100 ? 0 : (double) held / (ran + held);
    }

    /** The first reading at or after {@code t} ({@code n} if none). */
    private int index(long t) {
        int i = Arrays.binarySearch(at, 0, n, t);
        return i >= 0 ? i : -i - 1;
    }

    private boolean waitKnownBetween(int cpu, long from, long to) {
        long margin = TICK.toNanos() * 2;
        for (int i = index(from - margin); i < n && at[i] <= to + margin; i++) {
            if (waited[cpu][i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code series(to) - series(from)}, linear between readings. */
    private long interpolate(long[] series, long from, long to) {
        return valueAt(series, to) - valueAt(series, from);
    }

    private long valueAt(long[] series, long t) {
        int i = Arrays.binarySearch(at, 0, n, t);
        if (i >= 0) {
            return series[i];
        }
        int hi = -i - 1;
        if (hi <= 0) {
            return series[0];
        }
        if (hi >= n) {
            return series[n - 1];
        }
        int lo = hi - 1;
        double f = (double) (t - at[lo]) / (at[hi] - at[lo]);
        return series[lo] + Math.round(f * (series[hi] - series[lo]));
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String ms(long nanos) {
        return Math.round(nanos / 1e6) + " ms";
    }

    /** For tests: a timeline from readings made elsewhere ({@code at[i]}, then per CPU). */
    static HostTimeline of(long[] at, long[][] ran, long[][] waited, boolean[][] stopped, int sharedBy) {
        int cpus = ran.length;
        HostTimeline t = new HostTimeline(null, cpus);
        t.at = at.clone();
        t.n = at.length;
        t.ran = ran;
        t.waited = waited;
        t.stopped = stopped;
        Arrays.fill(t.sharedBy, sharedBy);
        Arrays.fill(t.known, true);
        return t;
    }
}
