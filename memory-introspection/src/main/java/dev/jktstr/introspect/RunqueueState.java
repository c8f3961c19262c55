package dev.jktstr.introspect;

import java.util.List;

/**
 * One CPU's runqueue ({@code struct rq}); a field is null where it could not be read (see {@link #errors()}).
 *
 * @param clock {@code rq->clock} in ns
 * @param scxNrRunning {@code rq->scx.nr_running}: tasks sched_ext owns on this CPU
 * @param scxFlags {@code rq->scx.flags} (SCX_RQ_*)
 * @param localDsqDepth {@code rq->scx.local_dsq.nr}
 */
public record RunqueueState(int cpu, Long nrRunning, Long clock, Integer currPid, String currComm, Long nrSwitches,
                            Long scxNrRunning, Long scxFlags, Long localDsqDepth, List<FieldError> errors) {
    public RunqueueState {
        errors = List.copyOf(errors);
    }

    /** Whether only the idle task is on this CPU (no runnable tasks); unknown counts as not idle. */
    public boolean idle() {
        return nrRunning != null && nrRunning == 0;
    }
}
