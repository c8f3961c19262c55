package dev.jktstr.scenario.gauntlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.scenario.junit.GauntletTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A gauntlet from JUnit 5 (with the fake runner): one dynamic test per combination, named by its key; the PASS runs
 * pass, the SKIP ({@code steady-per-llc} on one LLC) shows as skipped with its reason in Surefire's report.
 */
class GauntletDynamicTestsTest {
    static Path dir;
    static FakeRunner fake = new FakeRunner(20, 99);
    static Gauntlet gauntlet;

    @TestFactory
    Stream<DynamicTest> sweep() throws Exception {
        dir = Files.createTempDirectory("gauntlet-dynamic");
        Gauntlet g = Gauntlet.builder().scenarios("steady", "steady-per-llc").presets("tiny-1llc", "tiny-2llc")
                .kernel("6.12.0", Path.of("/x")).host(GauntletPlanTest.BIG_HOST).resultsDir(dir).runner(fake).build();
        gauntlet = g;
        List<DynamicTest> tests = GauntletTests.of(g).toList();
        assertThat(tests).extracting(DynamicTest::getDisplayName).containsExactly(
                "steady / eevdf / tiny-1llc / 6.12.0", "steady / eevdf / tiny-2llc / 6.12.0",
                "steady-per-llc / eevdf / tiny-1llc / 6.12.0", "steady-per-llc / eevdf / tiny-2llc / 6.12.0");
        return tests.stream();
    }

    @AfterAll
    static void theMatrixRanInParallelAndWroteItsIndex() throws Exception {
        // the last dynamic test ends when its run does; the index is written once the whole matrix has
        assertThat(gauntlet.awaitDone(java.time.Duration.ofSeconds(30))).isTrue();
        assertThat(fake.peak.get()).isEqualTo(2); // floor of 2 VMs on the 2-core fake host, 3 runs
        assertThat(GauntletIndex.read(dir).runs()).hasSize(4);
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
