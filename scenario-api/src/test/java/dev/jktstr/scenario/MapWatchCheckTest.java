package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.testsupport.TinyElf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Map watches checked before boot against the BPF objects the shared scheduler binaries embed. */
class MapWatchCheckTest {

    private static List<MapWatch> watches(String... texts) {
        return Arrays.stream(texts).map(MapWatch::parse).toList();
    }

    private static void accepted(Scheduler s, String... texts) {
        assertThatCode(() -> MapWatchCheck.check(watches(texts), s, List.of())).as(String.join(", ", texts))
                .doesNotThrowAnyException();
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(Scheduler s, String text) {
        return assertThatThrownBy(() -> MapWatchCheck.check(watches(text), s, List.of())).as(text)
                .isInstanceOf(InvalidScenarioException.class);
    }

    @Test
    void scxSimpleServesItsStatsCountersAndRefusesWhatItHasNot() {
        Scheduler simple = Scheduler.binary(TestAssets.scxSimple());
        accepted(simple, "stats[0]", "stats[1]", "scx_simp.bss[0].vtime_now", "simple_ops[0]");
        refused(simple, "stat[1]").hasMessageStartingWith("watch stat[1]: scheduler scx_simple has no BPF map 'stat'; nearest: stats");
        refused(simple, "stats[2]").hasMessage("watch stats[2]: map stats of scheduler scx_simple has 2 entries: keys 0..1, not 2");
        // stats declares its value as 8 bytes, no type: the kernel cannot name parts of it
        refused(simple, "stats[1].count").hasMessageContaining("declares its value by size only (8 bytes, no BTF type): watch"
                + " stats[1] alone");
        refused(simple, "scx_simp.bss[1].vtime_now").hasMessageContaining("has 1 entry: key 0, not 1");
        refused(simple, "scx_simp.bss[0].vtime").hasMessage("watch scx_simp.bss[0].vtime: no field 'vtime' in the value of"
                + " map scx_simp.bss; nearest: vtime_now");
    }

    @Test
    void scxQmapCountersAreBssVariablesFollowedThroughTheirTypes() {
        Scheduler qmap = Scheduler.binary(TestAssets.scxQmap());
        accepted(qmap, "scx_qmap.bss[0].nr_enqueued", "scx_qmap.bss[0].nr_dispatched", "scx_qmap.data[0].uei.kind",
                "scx_qmap.bss[0].core_sched_tail_seqs.4", "cpu_ctx_stor[0].avg_weight", "scx_qmap.rodata[0].slice_ns",
                // the object's name is not in it: any prefix libbpf could have made is taken
                "qmap.bss[0].nr_enqueued", ".bss[0].nr_enqueued",
                // the last variable of a section may be an array the loader resizes: its length is not checked
                "scx_qmap.bss[0].core_sched_head_seqs.9",
                // without a field a value reads as a u64: only the key is checked
                "scx_qmap.bss[0]");
        refused(qmap, "scx_qmap.bss[0].nr_enqueud").hasMessageStartingWith("watch scx_qmap.bss[0].nr_enqueud: no field"
                + " 'nr_enqueud' in the value of map scx_qmap.bss; nearest: nr_enqueued, ");
        refused(qmap, "scx_qmap.bss[0].core_sched_tail_seqs.5").hasMessageEndingWith(": no index 5 in"
                + " 'core_sched_tail_seqs' in the value of map scx_qmap.bss (0..4)");
        refused(qmap, "scx_qmap.data[0].uei").hasMessageEndingWith("'uei' in the value of map scx_qmap.data is a struct,"
                + " not a number: name one of its fields (kind, exit_code, reason, msg)");
        refused(qmap, "scx_qmap.data[0].uei.reason").hasMessageEndingWith("'uei.reason' in the value of map"
                + " scx_qmap.data is a string (char[128]), not a number");
        refused(qmap, "scx_qmap.data[0].uei.kind.x").hasMessageEndingWith("'uei.kind' in the value of map scx_qmap.data"
                + " is a number: the path ends there");
        refused(qmap, "cpu_ctx_stor[0].avg_wieght").hasMessageContaining("no field 'avg_wieght' in the value of map"
                + " cpu_ctx_stor; nearest: avg_weight");
    }

    /** A run that replaces its scheduler may watch either one's maps; one neither has is refused naming both. */
    @Test
    void aRunThatReplacesItsSchedulerMayWatchEither() {
        Scheduler simple = Scheduler.binary(TestAssets.scxSimple());
        List<Step> steps = List.of(Step.of(HoldSpec.fraction(1), Op.replaceScheduler(TestAssets.scxQmap())));
        assertThatCode(() -> MapWatchCheck.check(watches("stats[1]", "scx_qmap.bss[0].nr_enqueued"), simple, steps))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> MapWatchCheck.check(watches("stat[1]"), simple, steps))
                .isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("scheduler scx_simple has no BPF map 'stat'; nearest: stats")
                .hasMessageContaining("; and scheduler scx_qmap has no BPF map 'stat'");
    }

    /** Nothing to check against: EEVDF, and a binary that embeds no BPF object; the run says what it finds. */
    @Test
    void withoutAnEmbeddedObjectEveryWatchIsLeftToTheRun(@TempDir Path dir) throws Exception {
        accepted(Scheduler.eevdf(), "stat[1]");
        Path plain = Files.write(dir.resolve("scx_plain"), TinyElf.exiting(0, ""));
        accepted(Scheduler.binary(plain), "stat[1]", "anything[7].at.all");
        Path notElf = Files.writeString(dir.resolve("scx_text"), "not a program");
        accepted(Scheduler.binary(notElf), "stat[1]");
    }
}
