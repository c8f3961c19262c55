package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.LiveTelemetry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The live progress line of {@code jktstr run}: its text, in place on a terminal, throttled lines otherwise. */
class ProgressLineTest {
    private static Ctx.Progress progress(long elapsedMs, LiveTelemetry live) {
        return new Ctx.Progress(1, 2, Duration.ofMillis(elapsedMs), Duration.ofSeconds(10), live);
    }

    private static final LiveTelemetry LIVE = new LiveTelemetry(4, 1_000_000, 1_234_567, 12.4, 1, 0, 0, 2);

    @Test
    void formatsTimeAndLiveNumbers() {
        assertThat(ProgressLine.format(progress(3000, LIVE))).isEqualTo(
                "step 1/2    3.0 s / 10.0 s (7.0 s left) | 4 workers, 1.23M units/s, worst gap 12 ms"
                        + " | imbalance 1, local DSQ 0, global DSQ 0, user DSQ 2");
        // nothing known yet (first tick), or no monitor (EEVDF without vmlinux): those parts are left out
        assertThat(ProgressLine.format(progress(0, LiveTelemetry.NONE))).isEqualTo("step 1/2    0.0 s / 10.0 s (10.0 s left)");
        assertThat(ProgressLine.format(progress(12_000, new LiveTelemetry(2, 5, 950, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN)))).isEqualTo("step 1/2   12.0 s / 10.0 s (0.0 s left) | 2 workers, 950 units/s");
        assertThat(ProgressLine.si(12_345)).isEqualTo("12.3k");
        assertThat(ProgressLine.si(2.5e9)).isEqualTo("2.50G");
    }

    @Test
    void onATerminalTheLineIsRewrittenInPlace() {
        StringWriter w = new StringWriter();
        ProgressLine line = new ProgressLine(new PrintWriter(w), true, System::nanoTime);
        line.accept(progress(1000, LIVE));
        line.accept(progress(1250, LiveTelemetry.NONE)); // shorter: padded over the longer one
        line.finish();
        String s = w.toString();
        assertThat(s).startsWith("\rstep 1/2    1.0 s").endsWith(System.lineSeparator());
        String[] updates = s.strip().split("\r");
        assertThat(updates).hasSize(2);
        assertThat(s.split("\r")[2].stripTrailing()).isEqualTo(ProgressLine.format(progress(1250, LiveTelemetry.NONE)));
        assertThat(s.split("\r")[2].length() - System.lineSeparator().length()).isEqualTo(ProgressLine.format(progress(1000, LIVE)).length());
    }

    @Test
    void elsewhereWholeLinesAtMostEveryFewSeconds() {
        StringWriter w = new StringWriter();
        AtomicLong clock = new AtomicLong();
        ProgressLine line = new ProgressLine(new PrintWriter(w), false, clock::get);
        for (int tick = 0; tick <= 40; tick++) { // 10 s of 250 ms ticks
            clock.set(tick * 250_000_000L);
            line.accept(progress(tick * 250L, LIVE));
        }
        line.finish();
        assertThat(w.toString()).doesNotContain("\r");
        // at 0, 3, 6 and 9 s
        assertThat(w.toString().lines()).hasSize(4).allSatisfy(l -> assertThat(l).startsWith("step 1/2"))
                .extracting(l -> l.substring("step 1/2".length()).strip().split(" ")[0]).containsExactly("0.0", "3.0", "6.0", "9.0");
    }
}
