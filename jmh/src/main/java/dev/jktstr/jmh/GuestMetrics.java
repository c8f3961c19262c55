package dev.jktstr.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Guest-side metrics as JMH secondary results. JMH's own mechanism for "numbers the benchmark measured itself" is
 * {@code @AuxCounters}: every public field becomes a row {@code Benchmark.method:field} in the result table (and the
 * JSON/CSV), beside the primary score, with no {@code -prof} flag to remember. Type {@code EVENTS} reports the
 * value as it is (not divided by time); each iteration starts from zero and {@link #record} keeps the mean of the
 * steps run in the iteration (one per iteration in {@code SingleShotTime} mode), so the row is the mean over
 * iterations with JMH's error bars.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class GuestMetrics {

    public double workUnitsPerSec;
    public double wakeP50Us;
    public double wakeP99Us;
    public double migrationsPerSec;
    public double runDelayPct;

    private int steps;
    private double sumRate;
    private double sumP50;
    private double sumP99;
    private double sumMig;
    private double sumDelay;

    @Setup(Level.Iteration)
    public void clear() {
        steps = 0;
        sumRate = sumP50 = sumP99 = sumMig = sumDelay = 0;
        workUnitsPerSec = wakeP50Us = wakeP99Us = migrationsPerSec = runDelayPct = 0;
    }

    /** Adds one step's numbers; the fields become the means over the iteration's steps. */
    public void record(StepMetrics m) {
        steps++;
        sumRate += m.workUnitsPerSec();
        sumP50 += m.wakeP50Us();
        sumP99 += m.wakeP99Us();
        sumMig += m.migrationsPerSec();
        sumDelay += m.runDelayPct();
        workUnitsPerSec = sumRate / steps;
        wakeP50Us = sumP50 / steps;
        wakeP99Us = sumP99 / steps;
        migrationsPerSec = sumMig / steps;
        runDelayPct = sumDelay / steps;
    }
}
