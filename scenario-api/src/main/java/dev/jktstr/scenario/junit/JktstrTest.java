package dev.jktstr.scenario.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A JUnit 5 test that runs in a guest: the method takes a {@link dev.jktstr.scenario.Ctx} parameter, runs scenarios
 * in it, and the worst outcome of those runs decides the test: FAIL fails it (with the verdict table), SKIP and
 * INCONCLUSIVE abort it, PASS passes. Guests are booted once per distinct configuration and shared by the tests
 * of a run.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@ExtendWith(JktstrExtension.class)
public @interface JktstrTest {
    /** A named topology ({@code odd-3llc}; {@code jktstr topo} lists them): when set, it replaces the four counts below. */
    String preset() default "";

    int numaNodes() default 1;

    int llcs() default 1;

    int cores() default 2;

    int threads() default 1;

    long memoryMib() default 512;

    /** {@code eevdf} or a path to a sched_ext scheduler binary (relative to the working directory). */
    String scheduler() default "eevdf";

    /** Arguments for the scheduler binary ({@code {"-e", "500"}}). */
    String[] schedulerArgs() default {};

    /**
     * The run must end with the scheduler failing with an error containing this text ({@link
     * dev.jktstr.scenario.ExpectedSchedulerError#containing}); "" = no such claim.
     */
    String expectSchedulerError() default "";

    /** As {@link #expectSchedulerError()}, a regular expression found in the error text; "" = no such claim. */
    String expectSchedulerErrorMatching() default "";

    /** The sched_ext watchdog timeout for the scheduler under test, in ms ({@code Ctx#schedulerWatchdog}); 0 = its own. */
    long watchdogMs() default 0;

    /** Run time that step holds are fractions of, in ms. */
    long durationMs() default 5000;

    /** Kernel directory or image; "" = the {@code jktstr.kernel} system property, else the standard lookup ({@code KernelLookup}). */
    String kernel() default "";
}
