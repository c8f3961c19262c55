package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.GuestText;
import org.junit.jupiter.api.Test;

/** A scheduler's exit message from kmsg and its output are the guest's: the verdict table shows them cleaned. */
class VerdictGuestTextTest {

    static final String EXIT = "sched_ext: BPF scheduler \"evil\" disabled (runtime error) \u001b]0;owned\u0007\u009b2J\u202e"
            + "\nverdict: PASS";

    @Test
    void tableAndReasonHoldNoControlsAndNoForgedLines() {
        Verdict v = Assert.defaults().verdict();
        v.note("snapshot 1: sched_ext enabled ops\u009d8;;http://x\u009c");
        v.fail("scheduler evil is no longer attached: " + EXIT + "; its output: " + "\u001b[31m".repeat(10_000));
        String table = v.table();
        assertThat(table.codePoints().filter(c -> GuestText.isControl(c, true))).isEmpty();
        assertThat(table.lines().filter(l -> l.startsWith("verdict:")).count()).isEqualTo(1);
        assertThat(table.lines().filter(l -> l.startsWith("verdict:")).findFirst()).hasValueSatisfying(
                l -> assertThat(l).startsWith("verdict: FAIL").contains("\\x1b]0;owned\\x07\\x9b2J\\u202e\\nverdict: PASS")
                        .endsWith("more bytes)"));
        assertThat(v.reason().codePoints().filter(c -> GuestText.isControl(c, false))).isEmpty();
        assertThat(v.reason().length()).isLessThan(Verdict.MAX_TEXT + 40);
    }
}
