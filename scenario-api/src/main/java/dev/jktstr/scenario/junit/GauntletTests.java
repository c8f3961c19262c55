package dev.jktstr.scenario.junit;

import dev.jktstr.scenario.gauntlet.Gauntlet;
import dev.jktstr.scenario.gauntlet.GauntletEntry;
import dev.jktstr.scenario.gauntlet.GauntletPlan;
import dev.jktstr.scenario.gauntlet.RunKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

/**
 * A gauntlet as JUnit 5 dynamic tests, one per combination, so Surefire and IDEs show each:
 * <pre>{@code @TestFactory Stream<DynamicTest> sweep() { return GauntletTests.of(Gauntlet.builder()...build()); }}</pre>
 * The whole matrix starts (in parallel, within its budget) when the first test runs; each test waits for its own
 * combination. PASS passes; FAIL and ERROR fail with the reason; SKIP and INCONCLUSIVE are aborted (skipped) with it.
 */
public final class GauntletTests {
    private GauntletTests() {
    }

    public static Stream<DynamicTest> of(Gauntlet gauntlet) {
        GauntletPlan plan = gauntlet.plan();
        List<RunKey> keys = new ArrayList<>();
        plan.toRun().forEach(c -> keys.add(c.key()));
        plan.skipped().forEach(e -> keys.add(e.key()));
        keys.sort(null);
        return keys.stream().map(k -> DynamicTest.dynamicTest(k.toString(), () -> judge(gauntlet, k)));
    }

    private static void judge(Gauntlet g, RunKey k) throws InterruptedException {
        GauntletEntry e;
        try {
            if (g.plan().toRun().stream().anyMatch(c -> c.key().equals(k))) {
                g.runAsync();
            }
            e = g.entry(k).get();
        } catch (ExecutionException ex) {
            throw new AssertionError(k + ": the gauntlet failed: " + ex.getCause(), ex.getCause());
        }
        if (e == null) {
            Assumptions.abort(k + ": not run (the gauntlet was cancelled)");
            return;
        }
        String why = e.reason() == null ? "" : ": " + e.reason();
        switch (e.outcome()) {
            case PASS -> {
            }
            case FAIL, ERROR -> Assertions.fail(e.outcome() + why);
            case SKIP, INCONCLUSIVE -> Assumptions.abort(e.outcome() + why);
        }
    }
}
