package dev.jktstr.scenario;

import dev.jktstr.introspect.Introspector;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Overrides the sched_ext watchdog's timeout for the scheduler under test — how long a runnable task may wait before
 * the kernel ejects the scheduler with "runnable task stall" — by writing the kernel's {@code scx_watchdog_timeout}
 * (jiffies) in guest memory once the scheduler is attached: a test of a stall then fails in a second instead of the
 * scheduler's own 5–30 s. The watchdog picks the new value up on its next check. Needs introspection and the kernel's
 * config (for {@code CONFIG_HZ}).
 */
public final class SchedulerWatchdog {
    /** sched_ext refuses a scheduler's own timeout above this ({@code SCX_WATCHDOG_MAX_TIMEOUT}). */
    public static final Duration MAX = Duration.ofSeconds(30);
    public static final Duration MIN = Duration.ofMillis(100);
    private static final Pattern HZ = Pattern.compile("(?m)^CONFIG_HZ=(\\d+)$");

    private SchedulerWatchdog() {
    }

    /** {@code timeout} if it is in [{@link #MIN}, {@link #MAX}]; otherwise refused, naming the range. */
    public static Duration checked(Duration timeout) {
        if (timeout == null || timeout.compareTo(MIN) < 0 || timeout.compareTo(MAX) > 0) {
            throw new InvalidScenarioException("watchdog", "the sched_ext watchdog timeout must be " + MIN.toMillis()
                    + " ms to " + MAX.toSeconds() + " s, got " + (timeout == null ? null : timeout.toMillis() + " ms"));
        }
        return timeout;
    }

    /** Writes {@code timeout} into the running guest; returns the note for the verdict ("… was 5000 ms"). */
    static String apply(Ctx ctx, Duration timeout) {
        int hz = hz(ctx.kernel().config());
        Optional<Introspector> in = ctx.introspector();
        if (in.isEmpty()) {
            throw new ScenarioException("watchdog: cannot set the sched_ext watchdog without introspection ("
                    + ctx.introspectionStatus() + ")");
        }
        long jiffies = Math.max(1, (timeout.toMillis() * hz + 999) / 1000);
        long[] before = new long[2];
        in.get().paused(w -> {
            long va = w.view().symbol("scx_watchdog_timeout");
            before[0] = w.view().readLong(va);
            byte[] le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(jiffies).array();
            w.view().memory().writeBytes(w.view().translate(va), le);
            before[1] = w.view().readLong(va);
            return null;
        });
        if (before[1] != jiffies) {
            throw new ScenarioException("watchdog: wrote " + jiffies + " jiffies to scx_watchdog_timeout, read back "
                    + before[1]);
        }
        return "sched_ext watchdog: " + timeout.toMillis() + " ms (" + jiffies + " jiffies at HZ=" + hz + "), was "
                + before[0] * 1000 / hz + " ms";
    }

    /** CONFIG_HZ from the kernel's config beside its image. */
    static int hz(Optional<Path> config) {
        if (config.isEmpty()) {
            throw new ScenarioException("watchdog: the kernel's config is not beside its image, so CONFIG_HZ is"
                    + " unknown; put the kernel's .config (as 'config') next to it");
        }
        try {
            Matcher m = HZ.matcher(Files.readString(config.get()));
            if (!m.find()) {
                throw new ScenarioException("watchdog: no CONFIG_HZ in " + config.get());
            }
            return Integer.parseInt(m.group(1));
        } catch (IOException e) {
            throw new ScenarioException("watchdog: reading " + config.get() + ": " + e.getMessage(), e);
        }
    }
}
