package dev.jktstr.scenario;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One change a step makes, applied in order before the step's hold. Cgroups are named by
 * {@link CgroupDef#name()}; an op naming a cgroup that does not exist at that point is rejected before boot.
 */
public sealed interface Op {

    /** Creates the cgroup, spawns its workers into it and starts them (two-phase). */
    static Op addCgroup(CgroupDef def) {
        return new AddCgroup(def);
    }

    /** Stops the cgroup's workers (their telemetry is kept) and removes the cgroup. */
    static Op removeCgroup(String name) {
        return new RemoveCgroup(name);
    }

    /** Stops the cgroup's workers; the cgroup stays (empty). */
    static Op stopCgroup(String name) {
        return new StopCgroup(name);
    }

    static Op setCpuset(String name, CpusetSpec cpus) {
        return new SetCpuset(name, cpus);
    }

    /**
     * Lifts the cgroup's cpuset: it gets every CPU its parent has (the kernel does not let a cgroup with tasks go
     * back to an empty {@code cpuset.cpus}).
     */
    static Op clearCpuset(String name) {
        return new ClearCpuset(name);
    }

    static Op swapCpusets(String a, String b) {
        return new SwapCpusets(a, b);
    }

    static Op freeze(String name) {
        return new Freeze(name, true);
    }

    static Op unfreeze(String name) {
        return new Freeze(name, false);
    }

    /**
     * Moves {@code count} workers of {@code from} into cgroup {@code to}. Telemetry stays with the cgroup that
     * spawned them, and so do the checks: a worker moved out of its cpuset is reported as breaking isolation.
     */
    static Op moveTasks(String from, String to, int count) {
        return new MoveTasks(from, to, count);
    }

    /** Writes a kernel value (a file under /proc or /sys). */
    static Op writeKernelValue(String path, String value) {
        return new WriteKernelValue(path, value);
    }

    /**
     * Sends {@code signal} (for example 9 for SIGKILL, 2 for SIGINT) to the sched_ext scheduler process; for tests
     * of how a run reports a scheduler that dies. Rejected at run time under EEVDF.
     */
    static Op killScheduler(int signal) {
        return new KillScheduler(signal);
    }

    record KillScheduler(int signal) implements Op {}

    /** Sets the CPU affinity of every running worker of the cgroup (sched_setaffinity through busybox taskset). */
    static Op setAffinity(String name, CpusetSpec cpus) {
        return new SetAffinity(name, cpus);
    }

    /** Stops the sched_ext scheduler cleanly (SIGINT) and waits until sched_ext is off; the run then expects EEVDF. */
    static Op detachScheduler() {
        return new DetachScheduler();
    }

    /** Starts the VM's sched_ext scheduler again and waits until it is enabled. */
    static Op attachScheduler() {
        return new AttachScheduler();
    }

    /**
     * Replaces the attached sched_ext scheduler with another binary (and its arguments), as one op: the running one
     * is stopped (SIGINT) and the op waits until {@code /sys/kernel/sched_ext/state} reads {@code disabled}; then the
     * new one is started and the op waits until the state reads {@code enabled} with the new scheduler's ops name in
     * {@code /sys/kernel/sched_ext/root/ops}. Under EEVDF (or after {@link #detachScheduler()}) it only attaches.
     * The binary is copied into the guest before the run's first step, so the swap itself is just stop and start;
     * both schedulers, with the step each ran in, go into the result's timeline and the verdict's notes. Later runs
     * in the same {@link Ctx} keep the new scheduler.
     */
    static Op replaceScheduler(Scheduler.Binary next) {
        return new ReplaceScheduler(next);
    }

    /** {@link #replaceScheduler(Scheduler.Binary)} with a binary and its arguments. */
    static Op replaceScheduler(java.nio.file.Path binary, String... args) {
        return new ReplaceScheduler(new Scheduler.Binary(binary, java.util.List.of(args)));
    }

    record ReplaceScheduler(Scheduler.Binary next) implements Op {}

    /** Reads a kernel value (a file under /proc or /sys) into the verdict's notes. */
    static Op readKernelValue(String path) {
        return new ReadKernelValue(path);
    }

    /** Spawns more workers into a live cgroup (with its definition's nice, policy and affinity) and starts them. */
    static Op spawn(String cgroup, int workers, WorkType work) {
        return new Spawn(cgroup, workers, work);
    }

    record Spawn(String cgroup, int workers, WorkType work) implements Op {}

    /**
     * Takes a snapshot of the guest kernel from guest memory (runqueues, sched_ext state, DSQs): a one-line summary goes
     * into the verdict's notes, the whole snapshot into the result file's {@code monitor.snapshots}. Without
     * introspection (no vmlinux/System.map) only a note says why.
     */
    static Op snapshot() {
        return new TakeSnapshot();
    }

    record TakeSnapshot() implements Op {}

    /**
     * Writes a controller knob of a live cgroup mid-run ({@code cpu.max}, {@code memory.max}, ...) and reads it back
     * from inside the guest: a rounded value is a verdict note, a refused one or a file the kernel lacks fails the op.
     */
    static Op setKnob(String cgroup, CgroupKnob knob) {
        return new SetKnob(cgroup, knob);
    }

    record SetKnob(String cgroup, CgroupKnob knob) implements Op {
        public SetKnob {
            Objects.requireNonNull(knob, "knob");
        }
    }

    record SetAffinity(String name, CpusetSpec cpus) implements Op {}

    /**
     * Starts {@code payload} in the background under {@code name} (a word: letters, digits, {@code _.-}; once per
     * scenario) and goes on at once. A payload the guest cannot start (missing program, not executable) fails this op
     * with the kernel's errno in the verdict; the run goes on. A payload still running when the run ends is killed
     * (SIGKILL to its process group) and reaped. Its end and output go into {@link RunResult#payloads()} and the
     * verdict's notes.
     */
    static Op runPayload(String name, Payload payload) {
        return new RunPayload(name, payload, Optional.empty());
    }

    /** {@link #runPayload(String, Payload)} inside the scenario's cgroup {@code cgroup} (a leaf, live at that point). */
    static Op runPayload(String name, Payload payload, String cgroup) {
        return new RunPayload(name, payload, Optional.of(cgroup));
    }

    record RunPayload(String name, Payload payload, Optional<String> cgroup) implements Op {
        public RunPayload {
            Objects.requireNonNull(payload, "payload");
            cgroup = cgroup == null ? Optional.empty() : cgroup;
        }
    }

    /**
     * Waits until the payload {@code name} has ended, for at most {@code timeout}: one still running then fails this
     * op in the verdict (it keeps running; the run goes on and kills it at its end). Never longer than the timeout.
     */
    static Op waitPayload(String name, Duration timeout) {
        return new WaitPayload(name, timeout);
    }

    record WaitPayload(String name, Duration timeout) implements Op {}

    /** Kills the payload {@code name} (SIGKILL to its process group) and reaps it; one that has ended is left alone. */
    static Op killPayload(String name) {
        return new KillPayload(name);
    }

    record KillPayload(String name) implements Op {}

    /**
     * Re-pins every running worker of the cgroup by an {@link AffinityIntent}, resolved per worker against the
     * cgroup's cpuset at that moment ({@code inherit()} unpins: every CPU, within the cpuset).
     */
    static Op setAffinity(String name, AffinityIntent intent) {
        return new SetAffinityIntent(name, intent);
    }

    record SetAffinityIntent(String name, AffinityIntent intent) implements Op {
        public SetAffinityIntent {
            Objects.requireNonNull(intent, "intent");
        }
    }

    record DetachScheduler() implements Op {}

    record AttachScheduler() implements Op {}

    record ReadKernelValue(String path) implements Op {}

    record AddCgroup(CgroupDef def) implements Op {
        public AddCgroup {
            Objects.requireNonNull(def, "def");
        }
    }

    record RemoveCgroup(String name) implements Op {}

    record StopCgroup(String name) implements Op {}

    record SetCpuset(String name, CpusetSpec cpus) implements Op {}

    record ClearCpuset(String name) implements Op {}

    record SwapCpusets(String a, String b) implements Op {}

    record Freeze(String name, boolean frozen) implements Op {}

    record MoveTasks(String from, String to, int count) implements Op {}

    record WriteKernelValue(String path, String value) implements Op {}
}
