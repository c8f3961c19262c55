package dev.jktstr.scenario;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A claim that a run must end with its sched_ext scheduler failing, with an error whose text (the kernel's sched_ext
 * messages and the scheduler's own output) contains a string or matches a regular expression: how a test of a
 * scheduler's own error path ({@code scx_bpf_error}, a stall the watchdog catches) passes when it fails the right way.
 * Set it with {@link Ctx#expectSchedulerError}, {@code @JktstrTest(expectSchedulerError = ...)} or
 * {@code jktstr run --expect-scheduler-error}.
 */
public record ExpectedSchedulerError(Pattern pattern, String description) {
    public ExpectedSchedulerError {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(description, "description");
    }

    /** The error text must contain {@code text} (case-sensitive). */
    public static ExpectedSchedulerError containing(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidScenarioException("expectSchedulerError", "the expected error text is empty");
        }
        return new ExpectedSchedulerError(Pattern.compile(Pattern.quote(text)), "containing \"" + text + "\"");
    }

    /** The error text must match {@code regex} somewhere ({@link java.util.regex.Matcher#find()}). */
    public static ExpectedSchedulerError matching(String regex) {
        if (regex == null || regex.isBlank()) {
            throw new InvalidScenarioException("expectSchedulerError", "the expected error pattern is empty");
        }
        try {
            return new ExpectedSchedulerError(Pattern.compile(regex), "matching /" + regex + "/");
        } catch (PatternSyntaxException e) {
            throw new InvalidScenarioException("expectSchedulerError",
                    "not a regular expression: " + e.getDescription() + " in /" + regex + "/");
        }
    }

    /** Whether the scheduler's error text meets this claim. */
    public boolean metBy(String errorText) {
        return pattern.matcher(errorText).find();
    }

    @Override
    public String toString() {
        return "a scheduler error " + description;
    }
}
