package dev.jktstr.scenario;

/** The standard {@link MonitorCheck}s. */
enum MonitorChecks implements MonitorCheck {
    /** p90 of (max − min) nr_running across CPUs at most {@link Assert#maxImbalance()}. */
    IMBALANCE {
        @Override
        public void check(MonitorSummary s, Verdict v) {
            Double limit = v.thresholds().maxImbalance();
            if (set(limit)) {
                v.claim(MonitorSummary::imbalanceP90, s).atMost(limit);
            }
        }
    },
    /** Deepest local DSQ at most {@link Assert#maxLocalDsqDepth()}; only on kernels with sched_ext. */
    LOCAL_DSQ_DEPTH {
        @Override
        public void check(MonitorSummary s, Verdict v) {
            Double limit = v.thresholds().maxLocalDsqDepth();
            if (set(limit) && (s.hasSchedExt() || s.samples() == 0)) {
                v.claim(MonitorSummary::maxLocalDsqDepth, s).atMost(limit);
            }
        }
    },
    /** No runnable CPU whose rq clock stands still (idle CPUs exempt). */
    RQ_CLOCK_STALL {
        @Override
        public void check(MonitorSummary s, Verdict v) {
            Boolean on = v.thresholds().noRqClockStall();
            if (on != null && on) {
                v.claim(MonitorSummary::rqClockStalls, s).eq(0);
            }
        }
    },
    /** No error exit kind while a sched_ext scheduler was expected. */
    SCHED_EXT_ERROR_EXIT {
        @Override
        public void check(MonitorSummary s, Verdict v) {
            Boolean on = v.thresholds().noSchedExtErrorExit();
            if (on != null && on && s.schedExtExpected()) {
                v.claim(MonitorSummary::schedExtErrorExits, s).eq(0);
            }
        }
    };

    @Override
    public String toString() {
        return name();
    }

    private static boolean set(Double d) {
        return d != null && !d.isNaN();
    }
}
