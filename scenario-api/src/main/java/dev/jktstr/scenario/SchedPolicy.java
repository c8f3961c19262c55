package dev.jktstr.scenario;

import java.time.Duration;
import java.util.Objects;

/**
 * The Linux scheduling policy every worker of a cgroup runs under. The plain ones ({@link #NORMAL}, {@link #BATCH},
 * {@link #IDLE}, {@link #EXT}) each worker sets itself; {@link #fifo}, {@link #roundRobin} and {@link #deadline}
 * carry parameters and are set by the agent on each worker with {@code sched_setattr(2)} after the workers are in
 * their cgroup and before they are released, so a refusal (a deadline the kernel cannot admit: {@code EBUSY}) fails
 * the op naming every worker and its errno instead of leaving a worker on the wrong policy.
 */
public sealed interface SchedPolicy {
    SchedPolicy NORMAL = new Plain("NORMAL", 0);
    SchedPolicy BATCH = new Plain("BATCH", 3);
    SchedPolicy IDLE = new Plain("IDLE", 5);
    /** sched_ext: the task runs under the attached BPF scheduler (with a partial-switch scheduler, only such tasks do). */
    SchedPolicy EXT = new Plain("EXT", 7);

    /** SCHED_FIFO at {@code priority} 1..99: runs until it blocks or a higher priority wakes (RT throttling aside). */
    static SchedPolicy fifo(int priority) {
        return new Fifo(priority);
    }

    /** SCHED_RR at {@code priority} 1..99: FIFO with a time slice among equal priorities. */
    static SchedPolicy roundRobin(int priority) {
        return new RoundRobin(priority);
    }

    /**
     * SCHED_DEADLINE: {@code runtime} of CPU every {@code period}, by {@code deadline} after each period starts;
     * runtime ≤ deadline ≤ period. The kernel admits it only if the root domain has the bandwidth left (else
     * {@code EBUSY}) and only for a task allowed on every CPU of its root domain (so no cpuset or affinity).
     */
    static SchedPolicy deadline(Duration runtime, Duration deadline, Duration period) {
        return new Deadline(runtime, deadline, period);
    }

    /** The policy's name (NORMAL, FIFO, ...), as the result file writes it. */
    String name();

    /** The Linux policy number (SCHED_NORMAL 0, SCHED_FIFO 1, SCHED_RR 2, SCHED_BATCH 3, SCHED_IDLE 5, SCHED_DEADLINE 6, SCHED_EXT 7). */
    int number();

    /** Validates the parameters before boot ({@link InvalidScenarioException} naming {@code field}). */
    default void validate(String field) {
    }

    /** A policy without parameters: the worker sets it itself with sched_setscheduler. */
    record Plain(String name, int number) implements SchedPolicy {
        @Override
        public void validate(String field) {
            if (number != 0 && number != 3 && number != 5 && number != 7) {
                throw new InvalidScenarioException(field, "policy number " + number + " is not NORMAL 0, BATCH 3, IDLE 5 or"
                        + " EXT 7 (FIFO, RR and DEADLINE take parameters: SchedPolicy.fifo/roundRobin/deadline)");
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    record Fifo(int priority) implements SchedPolicy {
        public String name() { return "FIFO"; }
        public int number() { return 1; }

        @Override
        public void validate(String field) {
            rtPriority(priority, field);
        }

        @Override
        public String toString() {
            return "FIFO(" + priority + ")";
        }
    }

    record RoundRobin(int priority) implements SchedPolicy {
        public String name() { return "RR"; }
        public int number() { return 2; }

        @Override
        public void validate(String field) {
            rtPriority(priority, field);
        }

        @Override
        public String toString() {
            return "RR(" + priority + ")";
        }
    }

    record Deadline(Duration runtime, Duration deadline, Duration period) implements SchedPolicy {
        /** The kernel's floor on runtime (2^DL_SCALE ns) and its default period bounds (sched_deadline_period_{min,max}_us). */
        static final long MIN_RUNTIME_NS = 1024, MIN_PERIOD_NS = 100_000, MAX_PERIOD_NS = 4_194_304_000L;
        /** The share of each CPU deadline tasks may take by default (sched_rt_runtime_us / sched_rt_period_us). */
        static final double MAX_SHARE = 0.95;

        public Deadline {
            Objects.requireNonNull(runtime, "runtime");
            Objects.requireNonNull(deadline, "deadline");
            Objects.requireNonNull(period, "period");
        }

        public String name() { return "DEADLINE"; }
        public int number() { return 6; }

        /** runtime / period: the share of one CPU each worker reserves. */
        public double bandwidth() {
            return (double) runtime.toNanos() / period.toNanos();
        }

        @Override
        public void validate(String field) {
            long r = runtime.toNanos(), d = deadline.toNanos(), p = period.toNanos();
            if (r < MIN_RUNTIME_NS) {
                throw new InvalidScenarioException(field, "SCHED_DEADLINE runtime must be at least " + MIN_RUNTIME_NS
                        + " ns, got " + r + " ns");
            }
            if (r > d || d > p) {
                throw new InvalidScenarioException(field, "SCHED_DEADLINE needs runtime <= deadline <= period, got "
                        + this);
            }
            if (p < MIN_PERIOD_NS || p > MAX_PERIOD_NS) {
                throw new InvalidScenarioException(field, "SCHED_DEADLINE period must be within 100 µs..4.19 s"
                        + " (the kernel's sched_deadline_period_min/max_us), got " + p + " ns");
            }
        }

        @Override
        public String toString() {
            return "DEADLINE(runtime " + runtime.toNanos() + " ns, deadline " + deadline.toNanos() + " ns, period "
                    + period.toNanos() + " ns)";
        }
    }

    private static void rtPriority(int priority, String field) {
        if (priority < 1 || priority > 99) {
            throw new InvalidScenarioException(field, "a real-time priority must be within 1..99, got " + priority);
        }
    }
}
