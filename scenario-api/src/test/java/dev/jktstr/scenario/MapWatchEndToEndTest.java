package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * One QEMU TCG guest (1,1,2,1) under scx_simple, whose BPF side counts every enqueue in its per-CPU {@code stats} map
 * (key 0: dispatched to a local DSQ, key 1: to the shared one): watched over a run, the counters become series that
 * temporal claims check — a right claim passes, a wrong bound fails naming the sample, a misspelt map is refused
 * before the run naming the map it meant.
 */
@BootsVm
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MapWatchEndToEndTest {
    private static Ctx ctx;

    static Ctx ctx() {
        if (ctx == null) {
            ctx = TestAssets.vm().scheduler(Scheduler.binary(TestAssets.scxSimple())).duration(Duration.ofSeconds(4)).boot();
        }
        return ctx;
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    @Order(1)
    void aWatchedBpfCounterGrowsAndTemporalClaimsJudgeIt(@TempDir Path dir) throws Exception {
        Ctx c = ctx().watch(MapWatch.parse("stats[0]"), MapWatch.parse("stats[1]"));
        RunResult r = Scenarios.run(c, ScenarioCatalog.canned().get("mixed"));
        TimeSeries local = r.series().watch("stats[0]");
        TimeSeries shared = r.series().watch("stats[1]");
        System.out.println(local + "\n" + shared);
        assertThat(local.size()).as("4 s at 4 a second").isGreaterThanOrEqualTo(6);
        assertThat(local.last() + shared.last()).as("scx_simple enqueued tasks").isPositive();
        Verdict v = r.verdict();
        v.claimOver(local).nonDecreasing().claimOver(shared).nonDecreasing()
                .claimOver(local).rateWithin(0, 1e9);
        v.claimOver(shared).rateWithin(1e9, 2e9); // wrong on purpose: no guest enqueues a billion tasks a second
        System.out.println(v.table());
        assertThat(v.claims()).filteredOn(cl -> cl.label().startsWith("stats[")).hasSize(4);
        assertThat(v.claims().stream().filter(cl -> cl.label().startsWith("stats[")).limit(3))
                .allSatisfy(cl -> assertThat(cl.outcome()).as(cl.toString()).isEqualTo(Outcome.PASS));
        ClaimResult wrong = v.claims().stream().filter(cl -> cl.label().startsWith("stats[1]") && cl.comparison().equals("rate in")
                && cl.limits().getFirst() == 1e9).findFirst().orElseThrow();
        assertThat(wrong.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(wrong.detail()).matches("sample 1 \\(t=\\d+\\.\\d\\d s\\): .*/s over the \\d+ ms before it");
        // the result file carries the watches for plotting
        String json = Files.readString(r.write(dir.resolve("r.json")));
        assertThat(json).contains("\"watches\"").contains("\"name\" : \"stats[1]\"");
    }

    @Test
    @Order(2) // last: the shared context keeps the bad watch
    void aWatchOfAMapTheSchedulerDoesNotHaveIsRefusedBeforeTheRunNamingTheNearest() {
        Ctx c = ctx();
        c.watch(MapWatch.parse("stat[0]"));
        assertThatThrownBy(() -> Scenarios.run(c, ScenarioCatalog.canned().get("steady")))
                .isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("watch stat[0]: scheduler scx_simple has no BPF map 'stat'; nearest: stats");
    }
}
