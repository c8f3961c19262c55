package dev.jktstr.cli;

import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.LiveTelemetry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The live progress of {@code jktstr run} on stderr: elapsed and remaining time, and while the run holds the live
 * telemetry (work rate over all workers, the worst gap so far, the monitor's imbalance and DSQ depths). On a terminal
 * one line is rewritten in place ({@code \r}); otherwise (a log, a pipe) a new line at most every
 * {@link #PLAIN_INTERVAL}.
 */
final class ProgressLine {
    /** How often a line is printed when stderr is not a terminal. */
    static final Duration PLAIN_INTERVAL = Duration.ofSeconds(3);

    private final PrintWriter out;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private long lastPrinted;
    private boolean printed;
    private int lastWidth;

    ProgressLine(PrintWriter out, boolean terminal, LongSupplier nanoClock) {
        this.out = out;
        this.terminal = terminal;
        this.nanoClock = nanoClock;
    }

    /** For the real terminal (JDK 22+: {@code Console.isTerminal()}) and clock. */
    static ProgressLine forStderr(PrintWriter err) {
        java.io.Console c = System.console();
        return new ProgressLine(err, c != null && c.isTerminal(), System::nanoTime);
    }

    void accept(Ctx.Progress p) {
        show(format(p));
    }

    /** Shows {@code line} as the progress line (in place on a terminal, throttled otherwise). */
    synchronized void show(String line) {
        if (terminal) {
            // pad over what the previous, longer line left behind
            out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            lastWidth = line.length();
        } else {
            long now = nanoClock.getAsLong();
            if (printed && now - lastPrinted < PLAIN_INTERVAL.toNanos()) {
                return;
            }
            lastPrinted = now;
            out.println(line);
        }
        printed = true;
        out.flush();
    }

    /** A line that stays (an event): on a terminal it replaces the progress line, which the next {@link #show} redraws. */
    synchronized void message(String line) {
        if (terminal) {
            out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())) + "\n");
            lastWidth = 0;
            printed = false; // the line is ended: finish() adds no empty one
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Ends the in-place line on a terminal. */
    synchronized void finish() {
        if (terminal && printed) {
            out.println();
            out.flush();
        }
    }

    /** One line: {@code step 1/2  3.0 s / 10.0 s (7.0 s left) | 4 workers 1.23M units/s, worst gap 12 ms | ...}. */
    static String format(Ctx.Progress p) {
        double elapsed = p.elapsed().toMillis() / 1e3;
        double total = p.total().toMillis() / 1e3;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "step %d/%d  %5.1f s / %.1f s (%.1f s left)", p.step(),
                p.steps(), elapsed, total, Math.max(0, total - elapsed)));
        LiveTelemetry t = p.live();
        List<String> work = new ArrayList<>();
        if (t.workers() > 0) {
            work.add(t.workers() + " workers");
        }
        if (Double.isFinite(t.workRate())) {
            work.add(si(t.workRate()) + " units/s");
        }
        if (Double.isFinite(t.worstGapMs())) {
            work.add(String.format(Locale.ROOT, "worst gap %.0f ms", t.worstGapMs()));
        }
        if (!work.isEmpty()) {
            b.append(" | ").append(String.join(", ", work));
        }
        List<String> monitor = new ArrayList<>();
        if (Double.isFinite(t.imbalance())) {
            monitor.add(String.format(Locale.ROOT, "imbalance %.0f", t.imbalance()));
        }
        if (Double.isFinite(t.maxLocalDsqDepth())) {
            monitor.add(String.format(Locale.ROOT, "local DSQ %.0f", t.maxLocalDsqDepth()));
        }
        if (Double.isFinite(t.globalDsqDepth())) {
            monitor.add(String.format(Locale.ROOT, "global DSQ %.0f", t.globalDsqDepth()));
        }
        if (Double.isFinite(t.userDsqDepth())) {
            monitor.add(String.format(Locale.ROOT, "user DSQ %.0f", t.userDsqDepth()));
        }
        if (!monitor.isEmpty()) {
            b.append(" | ").append(String.join(", ", monitor));
        }
        return b.toString();
    }

    /** 950, 12.3k, 4.56M, 1.20G. */
    static String si(double v) {
        double a = Math.abs(v);
        if (a < 1e3) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a < 1e6) {
            return String.format(Locale.ROOT, "%.3gk", v / 1e3);
        }
        if (a < 1e9) {
            return String.format(Locale.ROOT, "%.3gM", v / 1e6);
        }
        return String.format(Locale.ROOT, "%.3gG", v / 1e9);
    }
}
