package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.List;

/**
 * sched_ext dispatch queues: each online CPU's local DSQ, the global DSQs (per node in {@code global_dsqs}, or the
 * single static {@code scx_dsq_global} of kernels before per-node ones) and the scheduler's own DSQs in the
 * {@code dsq_hash} rhashtable.
 */
final class DsqWalker {
    private final KernelView view;
    private final SnapshotBudget budget;

    DsqWalker(KernelView view, SnapshotBudget budget) {
        this.view = view;
        this.budget = budget;
    }

    /** Local DSQs of online CPUs, the per-node global DSQs and the scheduler's own DSQs ({@code dsq_hash}). */
    List<DsqState> dsqs(List<FieldError> errors) {
        List<DsqState> out = new ArrayList<>();
        List<Integer> cpus = FieldError.attempt(errors, "__cpu_online_mask", view.perCpu()::onlineCpus);
        for (int cpu : cpus == null ? List.<Integer>of() : cpus) {
            DsqState d = FieldError.attempt(errors, "rq[" + cpu + "].scx.local_dsq",
                    () -> dsq("local", cpu, view.percpu("runqueues", cpu).field("scx.local_dsq")));
            if (d != null) {
                out.add(d);
            }
        }
        if (view.hasSymbol("global_dsqs")) {
            FieldError.attempt(errors, "global_dsqs", () -> {
                long arr = view.readLong(view.symbol("global_dsqs"));
                if (arr == 0) {
                    return null;
                }
                int nodes = view.readInt(view.symbol("nr_node_ids"));
                if (nodes <= 0 || nodes > 1024) {
                    throw new CorruptGuestDataException("nr_node_ids reads " + nodes);
                }
                for (int node = 0; node < nodes; node++) {
                    long p = view.readLong(arr + 8L * node);
                    if (p != 0) {
                        out.add(dsq("global", node, view.object(p, "struct scx_dispatch_q")));
                    }
                }
                return null;
            });
        } else if (view.hasSymbol("scx_dsq_global")) {
            // before per-node global DSQs (6.12), one static global DSQ; not exercised by the 6.12 test kernel
            DsqState d = FieldError.attempt(errors, "scx_dsq_global",
                    () -> dsq("global", 0, view.global("scx_dsq_global", "struct scx_dispatch_q")));
            if (d != null) {
                out.add(d);
            }
        }
        if (view.hasSymbol("dsq_hash")) {
            FieldError.attempt(errors, "dsq_hash", () -> {
                RhashTables.forEach(view, budget, "dsq_hash", "struct scx_dispatch_q", "hash_node",
                        q -> out.add(dsq("user", -1, q)));
                return null;
            });
        }
        return out;
    }

    private static DsqState dsq(String kind, int owner, GuestObject q) {
        return new DsqState(kind, owner, q.field("id").asLong(), q.field("nr").asLong(), q.field("seq").asLong());
    }
}
