package dev.jktstr.scenario;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Threshold presets per scheduler identity: the middle layer of {@code defaults → scheduler → test}
 * ({@link ThresholdLayers}). A scheduler is named as {@link Scheduler#name()} says: {@code eevdf}, or the binary's
 * file name ({@code scx_simple}, {@code scx_qmap}). Built-in presets exist for those three (values and the
 * measurements behind them in the module README); {@link #register} adds or replaces one for any name, for every
 * run that checks afterwards (thread-safe, process-wide).
 */
public final class ThresholdPresets {
    // Measured here (QEMU 7.2 TCG, topology 1,1,2,1, 3 s runs of steady, oversubscribed, mixed and nested-steady, three
    // times each, on a 2-core host shared with other builds; the worst value seen in the comments). Gaps on TCG are
    // mostly host noise (one host thread runs every vCPU), so each limit keeps a wide margin: it is there to catch a
    // scheduler that stops running tasks, not to rank schedulers. Fairness and throughput spread depend on the
    // scenario more than on the scheduler (a worker spawned mid-run has less CPU time), so presets leave them alone.
    private static final Map<String, Assert> BUILT_IN = Map.of(
            // worst gap 305 ms (EEVDF runs while the host was busiest), p99 wake latency 8.1 ms
            "eevdf", Assert.none().withMaxGapMs(2000).withP99WakeLatencyUs(100_000),
            // worst gap 67 ms, p99 wake 19 ms
            "scx_simple", Assert.none().withMaxGapMs(2000).withP99WakeLatencyUs(200_000),
            // worst gap 132 ms (three times scx_simple's in the same oversubscribed run), p99 wake 24 ms: qmap's FIFOs
            // and batched dispatch give the larger gaps, so its gap limit stays at the lenient default
            "scx_qmap", Assert.none().withMaxGapMs(3000).withP99WakeLatencyUs(250_000));
    private static final Map<String, Assert> REGISTERED = new ConcurrentHashMap<>();

    private ThresholdPresets() {
    }

    /** Where a preset came from: built into jktstr or registered by the user. */
    public enum Origin { BUILT_IN, REGISTERED }

    /** A preset and its origin. */
    public record Preset(String scheduler, Assert thresholds, Origin origin) {
        /** The layer name results show: {@code scheduler:scx_qmap}, {@code scheduler:my_sched (registered)}. */
        public String layerName() {
            return "scheduler:" + scheduler + (origin == Origin.REGISTERED ? " (registered)" : "");
        }
    }

    /**
     * Registers {@code thresholds} as the preset of the scheduler named {@code scheduler} (replacing a built-in or an
     * earlier registration). Only the values it sets take part; unset ones leave the defaults.
     */
    public static void register(String scheduler, Assert thresholds) {
        Objects.requireNonNull(thresholds, "thresholds");
        if (scheduler == null || !scheduler.matches("[A-Za-z0-9_.+-]{1,64}")) {
            throw new InvalidScenarioException("preset.scheduler", "'" + scheduler + "' is not a scheduler name"
                    + " (eevdf, or a binary's file name such as scx_simple)");
        }
        REGISTERED.put(scheduler, thresholds);
    }

    /** Removes a registered preset (a built-in one it replaced applies again). */
    public static void unregister(String scheduler) {
        REGISTERED.remove(scheduler);
    }

    /** The preset for a scheduler name: a registered one first, else a built-in one. */
    public static Optional<Preset> forScheduler(String scheduler) {
        Assert r = REGISTERED.get(scheduler);
        if (r != null) {
            return Optional.of(new Preset(scheduler, r, Origin.REGISTERED));
        }
        return Optional.ofNullable(BUILT_IN.get(scheduler)).map(a -> new Preset(scheduler, a, Origin.BUILT_IN));
    }

    /** The built-in presets by scheduler name. */
    public static Map<String, Assert> builtIn() {
        return new TreeMap<>(BUILT_IN);
    }
}
