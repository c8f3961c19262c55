package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessFreezerTest {

    @Test
    void stateFollowsTheLastParenthesis() {
        assertThat(ProcessFreezer.state("42 (CPU 0/TCG) T 1 42")).isEqualTo('T');
        assertThat(ProcessFreezer.state("42 (a) b) t 1 42")).isEqualTo('t');
        assertThat(ProcessFreezer.state("42 (qemu) S 1")).isEqualTo('S');
        assertThat(ProcessFreezer.state("garbage")).isEqualTo('?');
    }

    @Test
    void freezesAndThawsEveryThread() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            ProcessFreezer freezer = new ProcessFreezer(p.toHandle());
            assertThat(freezer.freeze(Duration.ofSeconds(2))).isTrue();
            assertThat(freezer.isFrozen()).isTrue();
            assertThat(ProcessFreezer.allThreadsStopped(p.pid())).isTrue();
            assertThat(freezer.freeze(Duration.ofSeconds(2))).as("already frozen").isTrue();
            freezer.thaw();
            assertThat(freezer.isFrozen()).isFalse();
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (ProcessFreezer.allThreadsStopped(p.pid()) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(ProcessFreezer.allThreadsStopped(p.pid())).isFalse();
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }
}
