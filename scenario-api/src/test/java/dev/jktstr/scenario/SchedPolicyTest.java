package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.Topology;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RT and deadline policies: validation before boot, the tool's arguments, per-worker errno reports (no VM). */
class SchedPolicyTest {
    private static final Topology TWO_CPUS = new Topology(1, 1, 2, 1);

    private static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    private static void validate(CgroupDef d) {
        ScenarioValidator.validate(TWO_CPUS, List.of(Step.of(HoldSpec.fraction(1), Op.addCgroup(d))));
    }

    @Test
    void impossibleParametersAreRefusedBeforeBoot() {
        for (SchedPolicy bad : List.of(SchedPolicy.fifo(0), SchedPolicy.fifo(100), SchedPolicy.roundRobin(-1),
                SchedPolicy.deadline(ms(20), ms(10), ms(30)), SchedPolicy.deadline(ms(5), ms(40), ms(30)),
                SchedPolicy.deadline(Duration.ofNanos(500), ms(1), ms(1)),
                SchedPolicy.deadline(Duration.ofNanos(20_000), Duration.ofNanos(50_000), Duration.ofNanos(50_000)),
                SchedPolicy.deadline(ms(1), ms(1), Duration.ofSeconds(5)), new SchedPolicy.Plain("FIFO", 1))) {
            assertThatThrownBy(() -> validate(CgroupDef.named("cg").policy(bad))).as(bad.toString())
                    .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("policy");
        }
        validate(CgroupDef.named("cg").policy(SchedPolicy.fifo(99)));
        validate(CgroupDef.named("cg").policy(SchedPolicy.deadline(ms(10), ms(10), ms(10))));
        validate(CgroupDef.named("cg").workers(2).policy(SchedPolicy.deadline(ms(9), ms(10), ms(10))));
    }

    @Test
    void deadlineWorkersNeedEveryCpuAndBandwidthThatExists() {
        assertThatThrownBy(() -> validate(CgroupDef.named("cg").cpuset(CpusetSpec.cpus(0))
                .policy(SchedPolicy.deadline(ms(1), ms(10), ms(10))))).hasMessageContaining("every CPU");
        assertThatThrownBy(() -> validate(CgroupDef.named("cg").affinity(CpusetSpec.cpus(1))
                .policy(SchedPolicy.deadline(ms(1), ms(10), ms(10))))).hasMessageContaining("every CPU");
        assertThatThrownBy(() -> validate(CgroupDef.named("cg").workers(3)
                .policy(SchedPolicy.deadline(ms(7), ms(10), ms(10))))).hasMessageContaining("EBUSY");
    }

    @Test
    void theToolGetsNanosecondsAndThePolicyNumber() {
        assertThat(SchedAttr.args(SchedPolicy.deadline(ms(1), ms(2), ms(3)), List.of(81, 82)))
                .containsExactly("0", "1000000", "2000000", "3000000", "6", "81", "82");
        assertThat(SchedAttr.args(SchedPolicy.fifo(50), List.of(7))).containsExactly("50", "0", "0", "0", "1", "7");
        assertThat(SchedAttr.args(SchedPolicy.roundRobin(3), List.of(7))).containsExactly("3", "0", "0", "0", "2", "7");
        assertThat(SchedAttr.needed(SchedPolicy.EXT)).isFalse();
        assertThat(SchedAttr.needed(SchedPolicy.fifo(1))).isTrue();
    }

    @Test
    void eachRefusedWorkerIsReportedWithItsErrno() {
        assertThat(SchedAttr.failures("81 ok\n82 ok\n", 2)).isEmpty();
        assertThat(SchedAttr.failures("81 ok\n82 EBUSY 16 Device or resource busy\n", 2))
                .containsExactly("worker 82: EBUSY (errno 16, Device or resource busy)");
        assertThat(SchedAttr.failures("81 ok\n", 2)).containsExactly("the guest answered for 1 of 2 workers");
        assertThat(SchedAttr.failures("\u001b[2Jjunk\n", 1)).singleElement().asString().doesNotContain("\u001b");
    }
}
