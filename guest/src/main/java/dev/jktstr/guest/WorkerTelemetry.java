package dev.jktstr.guest;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * What one worker measured about itself, from its start to the stop.
 *
 * @param finished       false when the worker did not report in time and was killed (all counters are then 0)
 * @param workUnits      units of its work type done
 * @param iterations     loop iterations (checkpoints)
 * @param cpuNanos       CPU time it used
 * @param wallNanos      wall time from its release to the stop
 * @param runDelayNanos  time spent runnable but waiting for a CPU ({@code /proc/self/schedstat}); -1 when unknown
 * @param timeslices     times it was put on a CPU (schedstat)
 * @param migrations     CPU changes it observed between iterations
 * @param cpusUsed       CPUs it was seen on
 * @param maxGapNanos    the longest time between two iterations while it wanted to run
 * @param maxGapCpu      the CPU it was on when that gap ended... or began (the CPU of the earlier iteration)
 * @param maxGapAtNanos  when that gap ended, from the worker's start
 * @param wakeCount      wake-latency samples taken (types that sleep or wait for a partner)
 */
public record WorkerTelemetry(int pid, boolean finished, long workUnits, long iterations, long cpuNanos, long wallNanos,
        long runDelayNanos, long timeslices, long migrations, List<Integer> cpusUsed, long maxGapNanos, int maxGapCpu,
        long maxGapAtNanos, long wakeCount, long wakeP50Nanos, long wakeP99Nanos, long wakeMaxNanos,
        long voluntarySwitches, long involuntarySwitches) {

    public WorkerTelemetry {
        cpusUsed = List.copyOf(cpusUsed);
    }

    /** Wall time not spent on a CPU. */
    public long offCpuNanos() {
        return Math.max(0, wallNanos - cpuNanos);
    }

    public OptionalLong runDelay() {
        return runDelayNanos < 0 ? OptionalLong.empty() : OptionalLong.of(runDelayNanos);
    }

    public Duration maxGap() {
        return Duration.ofNanos(maxGapNanos);
    }
}
