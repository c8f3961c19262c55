package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ExpectedSchedulerErrorTest {
    private static final String QMAP = "sched_ext: BPF scheduler \"qmap\" disabled (scx_bpf_error)\n"
            + "sched_ext: qmap: test triggering error\nEXIT: scx_bpf_error (test triggering error)";

    @Test
    void containingIsLiteral() {
        assertThat(ExpectedSchedulerError.containing("test triggering error").metBy(QMAP)).isTrue();
        assertThat(ExpectedSchedulerError.containing("disabled (scx_bpf_error)").metBy(QMAP)).isTrue();
        assertThat(ExpectedSchedulerError.containing("(.*)").metBy(QMAP)).isFalse();
        assertThat(ExpectedSchedulerError.containing("Test triggering").metBy(QMAP)).isFalse();
    }

    @Test
    void matchingFindsARegularExpressionAnywhere() {
        assertThat(ExpectedSchedulerError.matching("qmap: test \\w+ error").metBy(QMAP)).isTrue();
        assertThat(ExpectedSchedulerError.matching("runnable task stall").metBy(QMAP)).isFalse();
        assertThat(ExpectedSchedulerError.matching("x").toString()).isEqualTo("a scheduler error matching /x/");
    }

    @Test
    void emptyOrInvalidClaimsAreRefused() {
        assertThatThrownBy(() -> ExpectedSchedulerError.containing(" ")).isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> ExpectedSchedulerError.matching("(unclosed")).isInstanceOf(InvalidScenarioException.class)
                .hasMessageContaining("not a regular expression");
    }
}
