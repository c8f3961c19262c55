package dev.jktstr.scenario.gauntlet;

import dev.jktstr.scenario.InvalidScenarioException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Shard {@code index} of {@code count} (1-based, {@code --shard 2/4}), one machine's part of a matrix. */
public record Shard(int index, int count) {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,6})\\s*/\\s*(\\d{1,6})\\s*");

    public Shard {
        if (count < 1) {
            throw new InvalidScenarioException("--shard", "the shard count must be at least 1, got " + index + "/" + count);
        }
        if (index < 1 || index > count) {
            throw new InvalidScenarioException("--shard", "shard " + index + "/" + count + " does not exist: the index runs from 1 to "
                    + count);
        }
    }

    /** {@code "i/n"}; anything else is an {@link InvalidScenarioException} naming {@code --shard} and the form. */
    public static Shard parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new InvalidScenarioException("--shard", "'" + dev.jktstr.machine.GuestText.line(String.valueOf(text), 100)
                    + "' is not of the form i/n with 1 <= i <= n, e.g. 1/2");
        }
        return new Shard(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
