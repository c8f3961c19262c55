package dev.jktstr.jmh;

import dev.jktstr.scenario.CgroupDef;
import dev.jktstr.scenario.Outcome;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.WorkType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * EEVDF against scx_simple in one JMH run: {@link GuestTrial}'s {@code scheduler} parameter gives a trial (one boot)
 * per scheduler; each iteration runs one step of CPU spinners beside futex ping-pong pairs (so there are wake-ups
 * to time) and reports the guest's numbers through {@link GuestMetrics}. The primary score is the step's host wall
 * time, which mostly says how long the step held; the secondary results are the comparison.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class SchedulerComparisonBenchmark {

    static final List<CgroupDef> WORKLOAD = List.of(
            CgroupDef.named("spin").workers(2).work(WorkType.spinWait()),
            CgroupDef.named("pingpong").workers(2).work(WorkType.futexPingPong()));

    @Benchmark
    public RunResult mixedStep(GuestTrial guest, GuestMetrics metrics) {
        RunResult r = guest.runStep(WORKLOAD);
        metrics.record(StepMetrics.of(r));
        if (r.outcome() == Outcome.FAIL) {
            // Measured either way; a failed step is shown whole, since its numbers may mean the scheduler misbehaved.
            System.err.print("[jktstr-jmh] step FAIL under " + r.scheduler() + ":\n" + r.verdict().table());
        } else if (r.outcome() != Outcome.PASS) {
            // INCONCLUSIVE is usual on a busy TCG host (the host held the vCPUs back); one line is enough.
            String why = r.verdict().reason();
            System.err.println("[jktstr-jmh] step " + r.outcome() + " under " + r.scheduler() + ": "
                    + (why.length() > 200 ? why.substring(0, 200) + "…" : why));
        }
        return r;
    }
}
