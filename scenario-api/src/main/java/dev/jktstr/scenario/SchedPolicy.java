package dev.jktstr.scenario;

/** Linux scheduling policies a worker can be given (sched_setscheduler). */
public enum SchedPolicy {
    NORMAL(0), BATCH(3), IDLE(5), EXT(7);

    final int number;

    SchedPolicy(int number) {
        this.number = number;
    }
}
