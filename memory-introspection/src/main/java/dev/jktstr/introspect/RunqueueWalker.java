package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.List;

/** Runqueues ({@code struct rq}, the per-CPU {@code runqueues}): load, clock, current task, sched_ext counts. */
final class RunqueueWalker {
    private final KernelView view;

    RunqueueWalker(KernelView view) {
        this.view = view;
    }

    /** Every online CPU's runqueue; an {@code nr_cpu_ids} above the VM's vCPUs is an error, and the rest is read. */
    List<RunqueueState> runqueues(List<FieldError> errors) {
        PerCpu perCpu = view.perCpu();
        FieldError.attempt(errors, "nr_cpu_ids", () -> {
            int stated = perCpu.guestNrCpuIds();
            if (stated > perCpu.cpuLimit()) {
                throw new CorruptGuestDataException("nr_cpu_ids reads " + stated + ", more than the VM's "
                        + perCpu.cpuLimit() + " vCPUs; CPUs from " + perCpu.cpuLimit() + " on are not read");
            }
            return null;
        });
        List<Integer> cpus = FieldError.attempt(errors, "__cpu_online_mask", perCpu::onlineCpus);
        List<RunqueueState> out = new ArrayList<>();
        if (cpus != null) {
            for (int cpu : cpus) {
                out.add(runqueue(cpu));
            }
        }
        return out;
    }

    RunqueueState runqueue(int cpu) {
        List<FieldError> errors = new ArrayList<>();
        String p = "rq[" + cpu + "].";
        GuestObject rq = FieldError.attempt(errors, p + "address", () -> view.percpu("runqueues", cpu));
        if (rq == null) {
            return new RunqueueState(cpu, null, null, null, null, null, null, null, null, errors);
        }
        Long nr = FieldError.attempt(errors, p + "nr_running", () -> rq.field("nr_running").asLong());
        Long clock = FieldError.attempt(errors, p + "clock", () -> rq.field("clock").asLong());
        GuestObject curr = FieldError.attempt(errors, p + "curr", () -> rq.field("curr").deref());
        Integer pid = curr == null ? null : FieldError.attempt(errors, p + "curr.pid", () -> curr.field("pid").asInt());
        String comm = curr == null ? null : FieldError.attempt(errors, p + "curr.comm", () -> curr.field("comm").asString());
        Long switches = FieldError.attempt(errors, p + "nr_switches", () -> rq.field("nr_switches").asLong());
        Long scxNr = FieldError.attempt(errors, p + "scx.nr_running", () -> rq.field("scx.nr_running").asLong());
        Long scxFlags = FieldError.attempt(errors, p + "scx.flags", () -> rq.field("scx.flags").asLong());
        Long local = FieldError.attempt(errors, p + "scx.local_dsq.nr", () -> rq.field("scx.local_dsq.nr").asLong());
        return new RunqueueState(cpu, nr, clock, pid, comm, switches, scxNr, scxFlags, local, errors);
    }
}
