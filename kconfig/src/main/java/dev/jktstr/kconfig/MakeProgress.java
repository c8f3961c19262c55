package dev.jktstr.kconfig;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns kbuild's quiet output ({@code "  CC      kernel/sched/core.o"}) into progress lines: steps
 * done against an estimate, the current step and elapsed time, at most one line per interval so a
 * 15-minute build neither floods a log nor looks hung. Warnings and errors pass through.
 */
final class MakeProgress implements Consumer<String> {

    private static final Pattern STEP = Pattern.compile("^\\s{2}([A-Z][A-Z0-9_]{1,8})\\s+(\\S.*)$");

    private final Consumer<String> sink;
    private final long expectedSteps;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long lastReport = Long.MIN_VALUE;
    private long steps;

    MakeProgress(Consumer<String> sink, long expectedSteps, Duration interval) {
        this.sink = sink;
        this.expectedSteps = Math.max(1, expectedSteps);
        this.intervalNanos = interval.toNanos();
    }

    @Override
    public void accept(String line) {
        Matcher step = STEP.matcher(line);
        if (step.matches()) {
            steps++;
            long now = System.nanoTime();
            if (lastReport == Long.MIN_VALUE || now - lastReport >= intervalNanos) {
                lastReport = now;
                sink.accept(status(step.group(1), step.group(2), now));
            }
        } else if (line.contains("warning:") || line.contains("error:") || line.contains("***")) {
            sink.accept(line);
        }
    }

    String status(String tool, String target, long now) {
        long percent = Math.min(99, steps * 100 / expectedSteps);
        long seconds = Duration.ofNanos(now - start).toSeconds();
        return String.format("[%2d%% %5d steps %2dm%02ds] %s %s", percent, steps, seconds / 60, seconds % 60,
                tool, target);
    }

    long steps() {
        return steps;
    }
}
