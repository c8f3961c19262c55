package dev.jktstr.introspect;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.machine.Machine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A {@link KernelView} bound to a running {@link Machine}: reads under pause, and snapshots. The
 * machine stays owned by the caller; closing nothing here is needed. Thread-safe: reads are
 * serialised so two never interleave their pause and resume.
 */
public final class Introspector {
    private final Machine machine;
    private final KernelView view;
    private final KernelWalkers walkers;

    private Introspector(Machine machine, KernelView view) {
        this.machine = machine;
        this.view = view;
        this.walkers = new KernelWalkers(view, IntrospectionLimits.DEFAULT.withMaxCpus(vmCpus(machine)));
    }

    /** The VM's own vCPU count from its spec: a guest kernel claiming more CPUs is capped at it. */
    private static int vmCpus(Machine machine) {
        try {
            return machine.spec().topology().cpuCount();
        } catch (RuntimeException e) {
            return dev.jktstr.machine.Topology.MAX_CPUS;
        }
    }

    /**
     * Attaches to {@code machine}'s kernel: pauses it briefly to read vCPU 0's registers and locate the
     * kernel (KASLR slide, phys_base, page_offset_base), then resumes it unless it was paused already.
     */
    public static Introspector attach(Machine machine, Btf btf, KernelSymbols symbols) {
        boolean wasPaused = machine.isPaused();
        machine.pause();
        try {
            return new Introspector(machine, KernelView.attach(machine.memory(), machine.registers(0), btf, symbols));
        } finally {
            if (!wasPaused) {
                machine.resume();
            }
        }
    }

    public KernelView view() {
        return view;
    }

    public KernelWalkers walkers() {
        return walkers;
    }

    public Machine machine() {
        return machine;
    }

    /**
     * Runs {@code read} with every vCPU paused (translation cache dropped first) and resumes them
     * afterwards, even if it throws; a machine that was paused before stays paused.
     */
    public synchronized <T> T paused(Function<KernelWalkers, T> read) {
        boolean wasPaused = machine.isPaused();
        if (!wasPaused) {
            machine.freeze(); // memory reads only: the fastest stop the backend has
        }
        try {
            view.invalidate();
            walkers.beginSnapshot();
            return read.apply(walkers);
        } finally {
            if (!wasPaused) {
                machine.thaw();
            }
        }
    }

    public Snapshot snapshot() {
        return snapshot(SnapshotOptions.SCHEDULER_AND_MAPS);
    }

    /** Pauses all vCPUs, reads what {@code options} ask for, resumes. */
    public synchronized Snapshot snapshot(SnapshotOptions options) {
        boolean wasPaused = machine.isPaused();
        Instant at = Instant.now();
        long t0 = System.nanoTime();
        if (!wasPaused) {
            machine.freeze(); // memory reads only: the fastest stop the backend has
        }
        Snapshot s;
        long paused;
        try {
            s = read(walkers, options, at, t0);
        } finally {
            if (!wasPaused) {
                machine.thaw();
            }
            paused = System.nanoTime() - t0;
        }
        return new Snapshot(s.takenAt(), s.monotonicNanos(), paused, s.runqueues(), s.schedExt(), s.dsqs(), s.maps(),
                s.progs(), s.tasks(), s.errors());
    }

    /** Reads a snapshot from {@code walkers} as they are (the caller paused the guest, or reads a memory copy). */
    public static Snapshot read(KernelWalkers walkers, SnapshotOptions options) {
        return read(walkers, options, Instant.now(), System.nanoTime());
    }

    private static Snapshot read(KernelWalkers walkers, SnapshotOptions options, Instant at, long t0) {
        walkers.view().invalidate();
        walkers.beginSnapshot();
        List<FieldError> errors = new ArrayList<>();
        List<RunqueueState> rqs = walkers.runqueues(errors);
        SchedExtState scx = FieldError.attempt(errors, "sched_ext", walkers::schedExt);
        List<DsqState> dsqs = options.dsqs() ? walkers.dsqs(errors) : List.of();
        List<BpfMapState> maps = options.maps() ? walkers.bpfMaps(options.mapValues(), errors) : List.of();
        List<BpfProgState> progs = options.progs() ? walkers.bpfProgs(errors) : List.of();
        List<TaskInfo> tasks = options.tasks() ? walkers.tasks(options.threads(), errors) : List.of();
        return new Snapshot(at, t0, System.nanoTime() - t0, rqs, scx, dsqs, maps, progs, tasks, errors);
    }
}
