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
    /**
     * No runnable CPU whose rq clock stands still (idle CPUs exempt). Each stall is judged against what the host gave
     * the vCPU meanwhile ({@link MonitorSummary.JudgedStall}): when every stall came while the host held the vCPU back,
     * the claim is INCONCLUSIVE with that reason, never FAIL; one stall of the guest's own fails it.
     */
    RQ_CLOCK_STALL {
        @Override
        public void check(MonitorSummary s, Verdict v) {
            Boolean on = v.thresholds().noRqClockStall();
            if (on != null && on) {
                Verdict.Claim c = v.claim(MonitorSummary::rqClockStalls, s);
                if (!s.judgedStalls().isEmpty()) {
                    c.detail(String.join("; ", s.judgedStalls().stream().limit(8).map(MonitorSummary.JudgedStall::describe).toList())
                            + (s.judgedStalls().size() > 8 ? "; … " + (s.judgedStalls().size() - 8) + " more" : ""));
                }
                if (s.guestStalls() == 0 && s.hostCausedStalls() > 0) {
                    c.inconclusiveIfFails("the host did not run the vCPU" + (s.hostCausedStalls() > 1 ? "s" : "")
                            + " (almost no host CPU time while held back): a stall the host caused says nothing about the guest");
                }
                c.eq(0);
            }
        }
    },
    /**
     * Deepest global DSQ at most {@link Assert#maxGlobalDsqDepth()}: only while a sched_ext scheduler is attached
     * (SKIP with the reason otherwise); INCONCLUSIVE when the samples showed no global DSQ.
     */
    GLOBAL_DSQ_DEPTH {
        @Override
        public void check(MonitorSummary s, Verdict v) {
            Double limit = v.thresholds().maxGlobalDsqDepth();
            if (set(limit)) {
                dsqClaim(s, v, limit, MonitorSummary::maxGlobalDsqDepth, "global");
            }
        }
    },
    /** Deepest user DSQ at most {@link Assert#maxUserDsqDepth()} (off by default); the same rules as the global one. */
    USER_DSQ_DEPTH {
        @Override
        public void check(MonitorSummary s, Verdict v) {
            Double limit = v.thresholds().maxUserDsqDepth();
            if (set(limit)) {
                dsqClaim(s, v, limit, MonitorSummary::maxUserDsqDepth, "user");
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

    /**
     * No samples: INCONCLUSIVE (the monitor could not tell). Samples without the DSQ walk: no claim. No sched_ext
     * scheduler attached: SKIP with the reason. Otherwise the claim, INCONCLUSIVE with a detail when no such DSQ was seen.
     */
    private static void dsqClaim(MonitorSummary s, Verdict v, double limit, Metric<MonitorSummary> metric, String kind) {
        if (s.samples() > 0 && !s.dsqsSampled()) {
            return;
        }
        Verdict.Claim c = v.claim(metric, s);
        if (s.samples() > 0 && !s.schedExtExpected()) {
            c.skip("no sched_ext scheduler attached (EEVDF): " + kind + " DSQs are not in use");
        } else if (s.samples() > 0 && Double.isNaN(metric.applyAsDouble(s))) {
            c.detail("no " + kind + " DSQ found in " + s.samples() + " samples"
                    + (kind.equals("global") ? " (kernel without global_dsqs / scx_dsq_global?)" : " (the scheduler created none)"))
                    .atMost(limit);
        } else {
            c.atMost(limit);
        }
    }

    private static boolean set(Double d) {
        return d != null && !d.isNaN();
    }
}
