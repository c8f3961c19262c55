package dev.jktstr.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The layers a run's thresholds come from, kept apart: {@code defaults}, the preset of each scheduler that ran
 * ({@link ThresholdPresets}), and the test's own ({@link Vm.Builder#thresholds}, {@link Ctx#thresholds(Assert)}).
 * A threshold is the test's when the test sets it; else, when presets set it, the most lenient of theirs (a run whose
 * scheduler was replaced mid-run is judged by the looser of the two); else the default. {@link #resolved()} says which
 * layer each came from; the result file records it.
 *
 * @param defaults  the bottom layer, normally {@link Assert#defaults()}
 * @param presets   the scheduler layer: the presets of the schedulers that ran (none for a scheduler without one)
 * @param test      the top layer ({@link Assert#none()} when the test sets nothing)
 */
public record ThresholdLayers(Assert defaults, List<ThresholdPresets.Preset> presets, Assert test) {
    public static final String DEFAULTS = "defaults";
    public static final String TEST = "test";
    /** Thresholds where a smaller value is the looser one (a lower bound); all other numbers are upper bounds. */
    private static final Set<String> LOWER_BOUNDS = Set.of("minWorkRate");

    public ThresholdLayers {
        Objects.requireNonNull(defaults, "defaults");
        Objects.requireNonNull(test, "test");
        presets = List.copyOf(presets);
    }

    /** Defaults, the presets of {@code schedulers} (by {@link Scheduler#name()}, duplicates once), then {@code test}. */
    public static ThresholdLayers of(List<String> schedulers, Assert test) {
        List<ThresholdPresets.Preset> p = new ArrayList<>();
        schedulers.stream().distinct().forEach(s -> ThresholdPresets.forScheduler(s).ifPresent(p::add));
        return new ThresholdLayers(Assert.defaults(), p, test);
    }

    /** One threshold, its value (null when no layer sets it) and the layer it came from. */
    public record Source(String field, Object value, String layer) {}

    /** Every threshold ({@link Assert#fieldNames()} order) with its value and layer. */
    public Map<String, Source> resolved() {
        Map<String, Source> out = new LinkedHashMap<>();
        for (String f : Assert.fieldNames()) {
            out.put(f, resolve(f));
        }
        return out;
    }

    /** The thresholds the checks use. */
    public Assert effective() {
        Assert a = Assert.none();
        for (Source s : resolved().values()) {
            a = a.with(s.field(), s.value());
        }
        return a;
    }

    /** The layer a threshold came from: {@code test}, {@code scheduler:<name>[ (registered)]} or {@code defaults}. */
    public String sourceOf(String field) {
        return resolve(field).layer();
    }

    private Source resolve(String field) {
        Object t = test.value(field);
        if (t != null) {
            return new Source(field, t, TEST);
        }
        Source best = null;
        for (ThresholdPresets.Preset p : presets) {
            Object v = p.thresholds().value(field);
            if (v != null && (best == null || looser(field, v, best.value()))) {
                best = new Source(field, v, p.layerName());
            }
        }
        if (best != null) {
            return best;
        }
        return new Source(field, defaults.value(field), DEFAULTS);
    }

    /** Whether {@code a} lets more runs pass than {@code b}: off (false, NaN) is loosest. */
    static boolean looser(String field, Object a, Object b) {
        if (a instanceof Boolean x && b instanceof Boolean y) {
            return !x && y;
        }
        if (a instanceof Double x && b instanceof Double y) {
            if (x.isNaN() || y.isNaN()) {
                return x.isNaN() && !y.isNaN();
            }
            return LOWER_BOUNDS.contains(field) ? x < y : x > y;
        }
        return false;
    }

    /** This with {@code layer} put on top of the test layer. */
    public ThresholdLayers withTest(Assert layer) {
        return new ThresholdLayers(defaults, presets, test.overlay(layer));
    }
}
