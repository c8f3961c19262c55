package dev.jktstr.guest;

/**
 * A running worker's progress, read by {@link AgentClient#peekWorkers} without stopping it.
 *
 * @param state            0 created (waiting for the start), 1 running, 2 finished
 * @param workUnits        units of its work type done so far
 * @param iterations       loop iterations so far
 * @param maxGapNanos      the longest gap between two iterations so far
 * @param currentGapNanos  time since its last iteration while running (a worker kept off the CPU right now shows
 *                         it here before its max gap does); 0 when not running
 */
public record WorkerProgress(int pid, int state, long workUnits, long iterations, long maxGapNanos, long currentGapNanos) {
    public boolean running() {
        return state == Protocol.WORKER_RUNNING;
    }

    /** The worse of the largest gap so far and the gap now. */
    public long worstGapNanos() {
        return Math.max(maxGapNanos, currentGapNanos);
    }
}
