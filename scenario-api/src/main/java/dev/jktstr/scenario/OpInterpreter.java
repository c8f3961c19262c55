package dev.jktstr.scenario;

import dev.jktstr.guest.GuestException;
import java.math.BigInteger;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Applies one {@link Op} of a run to the guest: cgroups through {@link CgroupFs}, workers through {@link RunCgroups},
 * schedulers through the {@link Ctx}, snapshots through the {@link RunMonitor}, payloads through {@link RunPayloads};
 * what happened goes to the {@link RunRecord}. Shell commands get every value as a positional parameter, never spliced into the script.
 * A guest that refuses an op fails the run ({@link ScenarioException} naming the op); payload ops report what went
 * wrong with the payload in the verdict instead, and the run goes on.
 */
final class OpInterpreter {
    private final Ctx ctx;
    private final CgroupFs fs;
    private final RunCgroups cgroups;
    private final RunMonitor monitor;
    private final RunRecord record;
    private final RunPayloads payloads;

    OpInterpreter(Ctx ctx, RunCgroups cgroups, RunMonitor monitor, RunRecord record, RunPayloads payloads) {
        this.ctx = ctx;
        this.fs = new CgroupFs(ctx.shell());
        this.cgroups = cgroups;
        this.monitor = monitor;
        this.record = record;
        this.payloads = payloads;
    }

    void apply(Op op) {
        try {
            switch (op) {
                case Op.AddCgroup a -> add(a.def());
                case Op.RemoveCgroup r -> remove(r.name());
                case Op.StopCgroup s -> cgroups.stop(s.name());
                case Op.SetCpuset s -> setCpuset(cgroups.get(s.name()), Optional.of(s.cpus().resolve(ctx.topology(), "cpus")));
                case Op.ClearCpuset c -> setCpuset(cgroups.get(c.name()), Optional.empty());
                case Op.SwapCpusets s -> {
                    LiveCgroup a = cgroups.get(s.a()), b = cgroups.get(s.b());
                    Optional<BitSet> ca = a.cpuset, cb = b.cpuset;
                    setCpuset(a, cb);
                    setCpuset(b, ca);
                }
                case Op.Freeze f -> fs.freeze(cgroups.get(f.name()).path, f.frozen());
                case Op.MoveTasks m -> moveTasks(m);
                case Op.SetAffinity sa -> setAffinity(sa);
                case Op.SetAffinityIntent si -> setAffinity(si);
                case Op.Spawn sp -> {
                    LiveCgroup c = cgroups.get(sp.cgroup());
                    cgroups.spawn(c, sp.workers(), sp.work(), masks(c, sp.workers()));
                }
                case Op.DetachScheduler d -> {
                    String was = ctx.currentScheduler().name();
                    ctx.detachScheduler();
                    record.opsName = "";
                    record.event(TimelineEvent.DETACHED, was + " detached");
                    record.ran(ctx.currentScheduler().name());
                }
                case Op.AttachScheduler a -> {
                    ctx.attachScheduler();
                    record.opsName = ctx.opsName();
                    record.event(TimelineEvent.ATTACHED, "");
                    record.ran(ctx.currentScheduler().name());
                }
                case Op.ReplaceScheduler rs -> replaceScheduler(rs);
                case Op.TakeSnapshot t -> monitor.takeSnapshot();
                case Op.SetKnob k -> applyKnob(cgroups.get(k.cgroup()), k.knob());
                case Op.ReadKernelValue r -> record.note(r.path() + " = " + ctx.shell().sh("cat \"$1\"", r.path()).strip());
                case Op.KillScheduler k -> {
                    if (!(ctx.currentScheduler() instanceof Scheduler.Binary b)) {
                        throw new ScenarioException("kill scheduler: this run uses EEVDF, there is no scheduler process");
                    }
                    ctx.shell().sh("killall -\"$1\" \"$2\"", String.valueOf(k.signal()), b.name());
                    // sched_ext disables asynchronously once the scheduler's link is gone
                    ctx.shell().sh("for i in $(seq 100); do [ \"$(cat \"$1\")\" = disabled ] && exit 0; sleep 0.1; done",
                            GuestScheduler.SCHED_EXT_STATE);
                }
                case Op.WriteKernelValue w -> ctx.shell().sh("printf '%s' \"$1\" > \"$2\"", w.value(), w.path());
                case Op.RunPayload rp -> payloads.start(rp, rp.cgroup().map(n -> cgroups.get(n).path));
                case Op.WaitPayload wp -> payloads.await(wp.name(), wp.timeout());
                case Op.KillPayload kp -> payloads.kill(kp.name());
            }
        } catch (GuestException e) {
            throw new ScenarioException("op " + op + " failed in the guest: " + e.getMessage(), e);
        }
    }

    /** Stops a live cgroup's workers and removes it from the guest; a cgroup not live is left alone. */
    void remove(String name) {
        cgroups.stop(name);
        LiveCgroup c = cgroups.remove(name);
        if (c != null) {
            fs.remove(c.path);
        }
    }

    private void add(CgroupDef def) {
        LiveCgroup c = new LiveCgroup(def);
        if (def.parentName().isPresent()) {
            LiveCgroup parent = cgroups.get(def.parentName().get());
            if (!parent.controllersEnabled) {
                // children get the cpuset and cpu controllers only through their parent's subtree_control
                fs.enableChildControllers(parent.path);
                parent.controllersEnabled = true;
            }
        }
        fs.create(c.path);
        cgroups.put(c);
        c.cpuset = Optional.empty();
        c.everUnrestricted = true;
        if (def.cpuset().isPresent()) {
            c.everUnrestricted = false;
            setCpuset(c, Optional.of(def.cpuset().get().resolve(ctx.topology(), "cpuset")));
        }
        if (def.memoryPolicy().isPresent() && def.memoryPolicy().get().cpusetMems().isPresent()) {
            // bind: the cpuset's memory nodes match the policy's (set before any worker is in the cgroup)
            fs.setMems(c.path, def.memoryPolicy().get().cpusetMems().get());
        }
        for (CgroupKnob k : def.knobs()) {
            applyKnob(c, k); // before the workers join, so they start under the limits
        }
        if (def.workers() == 0) {
            return; // a parent of nested cgroups
        }
        List<BitSet> masks = masks(c, def.workers());
        c.affinityEver = def.affinity().map(a -> AffinityIntent.union(masks));
        cgroups.spawn(c, def.workers(), def.work(), masks);
    }

    /** Each worker's affinity from the definition's intent against the cgroup's cpuset now (empty masks: none). */
    private List<BitSet> masks(LiveCgroup c, int workers) {
        return c.def.affinity().map(a -> a.resolve(ctx.topology(), c.cpuset, workers, c.def.name(), "affinity"))
                .orElseGet(() -> java.util.Collections.nCopies(workers, new BitSet()));
    }

    /** Writes a knob and verifies it from inside the guest: rounded → a note; refused or missing → the op fails. */
    private void applyKnob(LiveCgroup c, CgroupKnob knob) {
        KnobReadback r = fs.applyKnob(c.def.name(), c.path, knob);
        switch (r.status()) {
            case AS_WRITTEN -> record.note("step " + record.step + ": " + r.describe());
            case ROUNDED -> record.note("step " + record.step + ": " + r.describe());
            case REFUSED, MISSING -> throw new ScenarioException(r.describe());
        }
    }

    /** Empty {@code cpus}: unrestricted (the parent's CPUs, see {@link CgroupFs#inheritCpus}). */
    private void setCpuset(LiveCgroup c, Optional<BitSet> cpus) {
        if (cpus.isPresent()) {
            fs.setCpus(c.path, CpusetSpec.format(cpus.get()));
        } else {
            fs.inheritCpus(c.path);
        }
        c.cpuset = cpus;
        if (cpus.isPresent()) {
            c.allowedEver.or(cpus.get());
        } else {
            c.everUnrestricted = true;
        }
    }

    private void moveTasks(Op.MoveTasks m) {
        LiveCgroup from = cgroups.get(m.from()), to = cgroups.get(m.to());
        List<Integer> all = from.pids();
        if (all.isEmpty()) {
            throw new ScenarioException("move tasks: cgroup " + m.from() + " has no running workers");
        }
        for (int pid : all.subList(0, Math.min(m.count(), all.size()))) {
            fs.moveProcess(to.path, pid);
        }
    }

    private void setAffinity(Op.SetAffinity sa) {
        LiveCgroup c = cgroups.get(sa.name());
        BitSet cpus = sa.cpus().resolve(ctx.topology(), "cpus");
        String mask = hexMask(cpus);
        for (int pid : c.pids()) {
            ctx.shell().sh("taskset -p \"$1\" \"$2\" >/dev/null", mask, String.valueOf(pid));
        }
        cgroups.pinned(c, cpus);
    }

    private void setAffinity(Op.SetAffinityIntent si) {
        LiveCgroup c = cgroups.get(si.name());
        List<Integer> pids = c.pids();
        List<BitSet> masks;
        try {
            masks = si.intent().resolve(ctx.topology(), c.cpuset, pids.size(), c.def.name(), "intent");
        } catch (InvalidScenarioException e) {
            throw new ScenarioException("set affinity " + si.intent() + " on cgroup " + si.name() + ": " + e.getMessage(), e);
        }
        BitSet all = new BitSet();
        all.set(0, ctx.topology().cpuCount());
        BitSet union = new BitSet();
        for (int i = 0; i < pids.size(); i++) {
            BitSet m = masks.get(i).isEmpty() ? all : masks.get(i); // inherit: unpinned
            union.or(m);
            ctx.shell().sh("taskset -p \"$1\" \"$2\" >/dev/null", hexMask(m), String.valueOf(pids.get(i)));
        }
        cgroups.pinned(c, union);
    }

    private void replaceScheduler(Op.ReplaceScheduler rs) {
        Ctx.SchedulerSwap swap = ctx.replaceScheduler(rs.next());
        String from = swap.from() + (swap.fromOps().isEmpty() ? "" : " (" + swap.fromOps() + ")");
        if (!swap.from().equals(Scheduler.eevdf().name())) {
            record.event(TimelineEvent.DETACHED, Scheduler.eevdf().name(), "", from + " detached; sched_ext disabled after "
                    + swap.detachTook().toMillis() + " ms");
        }
        record.opsName = swap.toOps();
        record.event(TimelineEvent.ATTACHED, "sched_ext enabled after " + swap.attachTook().toMillis() + " ms");
        record.ran(swap.to());
        record.note("step " + record.step + ": scheduler " + from + " replaced by " + swap.to() + " (" + swap.toOps()
                + "): detached in " + swap.detachTook().toMillis() + " ms, attached in " + swap.attachTook().toMillis() + " ms");
    }

    /** {@code 0x..} for taskset. */
    static String hexMask(BitSet cpus) {
        return "0x" + new BigInteger(1, reverse(cpus.toByteArray())).toString(16);
    }

    /** Big-endian bytes from BitSet's little-endian ones (for a hex CPU mask). */
    private static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }
}
