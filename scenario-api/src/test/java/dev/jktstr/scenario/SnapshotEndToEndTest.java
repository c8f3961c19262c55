package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.RunqueueState;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same {@code Vm} (scx_simple, 1,1,2,1) booted cold, which saves a snapshot, then started from it: the restored
 * guest's kernel is readable from guest memory (KASLR slide, runqueues) and the {@code steady} scenario gives it the
 * same verdict, claim by claim, as the cold boot. The store is a temp dir ({@code jktstr.snapshot.dir}).
 * Printed per run: its times to READY and both verdict tables.
 */
@BootsVm
class SnapshotEndToEndTest {

    @TempDir
    static Path store;

    @BeforeAll
    static void ownStore() {
        System.setProperty("jktstr.snapshot.dir", store.toString());
    }

    @AfterAll
    static void dropStore() {
        System.clearProperty("jktstr.snapshot.dir");
    }

    @Test
    void steadyFromASnapshotGetsTheColdBootsVerdictAndIntrospectionWorks(@TempDir Path dir) {
        Vm vm = TestAssets.vm().scheduler(Scheduler.binary(TestAssets.scxSimple())).snapshot(true).build();
        RunResult cold;
        long coldSlide;
        try (Ctx ctx = vm.boot()) {
            assertThat(ctx.fromSnapshot()).isFalse();
            cold = decided(ctx);
            coldSlide = ctx.introspector().orElseThrow().view().slide();
            System.out.printf("cold boot: %d ms to READY; steady %s%n%s", ctx.bootTime().toMillis(), cold.outcome(),
                    cold.verdict().table());
        }
        try (Ctx ctx = vm.boot()) {
            assertThat(ctx.fromSnapshot()).as("the second boot of the same Vm restores").isTrue();
            Introspector in = ctx.introspector().orElseThrow(() -> new AssertionError(ctx.introspectionStatus()));
            assertThat(in.view().slide()).as("the restored kernel keeps the saved KASLR slide").isEqualTo(coldSlide);
            Snapshot snap = in.snapshot();
            assertThat(snap.runqueues()).extracting(RunqueueState::cpu).containsExactly(0, 1);
            assertThat(snap.runqueues()).allSatisfy(rq -> assertThat(rq.nrSwitches()).isPositive());
            System.out.printf("restored: %d ms to READY; runqueues %s%n", ctx.bootTime().toMillis(), snap.runqueues());

            RunResult warm = decided(ctx);
            warm.write(dir.resolve("steady-restored.json"));
            System.out.printf("restored: steady %s%n%s", warm.outcome(), warm.verdict().table());
            assertThat(warm.outcome()).as(warm.verdict().reason()).isEqualTo(cold.outcome()).isEqualTo(Outcome.PASS);
            assertThat(outcomes(warm)).isEqualTo(outcomes(cold));
            assertThat(warm.monitor().status()).isEqualTo("sampled");
        }
    }

    /**
     * A steady run with a verdict: INCONCLUSIVE says the loaded host starved a vCPU (nothing about the guest), so such a
     * run is repeated, up to three times; a host that stays too loaded aborts the test rather than compare noise.
     */
    private static RunResult decided(Ctx ctx) {
        RunResult r = null;
        for (int i = 0; i < 3; i++) {
            r = Scenarios.run(ctx, Scenarios.steady());
            if (r.outcome() != Outcome.INCONCLUSIVE) {
                return r;
            }
            System.out.println("inconclusive (host load), again: " + r.verdict().reason());
        }
        Assumptions.abort("steady stayed INCONCLUSIVE three times: the host is too loaded to compare verdicts; "
                + r.verdict().reason());
        return r;
    }

    private static Map<String, Outcome> outcomes(RunResult r) {
        return r.verdict().claims().stream().collect(Collectors.toMap(ClaimResult::label, ClaimResult::outcome,
                (a, b) -> a, java.util.TreeMap::new));
    }

}
