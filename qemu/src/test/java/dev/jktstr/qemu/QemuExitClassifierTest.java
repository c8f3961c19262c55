package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.ConsoleLog;
import dev.jktstr.machine.ExitReason;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QemuExitClassifierTest {

    private static final String PANIC = "Kernel panic - not syncing: sysrq triggered crash\n";
    private static final String RESTART = "reboot: Restarting system\n";

    @SafeVarargs
    private static ExitReason classify(String console, boolean killedByHost, Map<String, Object>... events) {
        ConsoleLog log = new ConsoleLog();
        byte[] bytes = console.getBytes(StandardCharsets.UTF_8);
        log.append(bytes, 0, bytes.length);
        log.end();
        QemuExitClassifier c = new QemuExitClassifier(log);
        for (Map<String, Object> e : events) {
            c.onEvent(e);
        }
        if (killedByHost) {
            c.killingByHost();
        }
        return c.classify(null);
    }

    private static Map<String, Object> shutdown(String reason) {
        return Map.of("event", "SHUTDOWN", "data", Map.of("guest", true, "reason", reason));
    }

    @Test
    void shutdownReasonsFromQmp() {
        assertThat(classify("", false, shutdown("guest-shutdown"))).isEqualTo(ExitReason.POWEROFF);
        assertThat(classify("", false, shutdown("guest-panic"))).isEqualTo(ExitReason.PANIC);
        assertThat(classify("", false, Map.of("event", "GUEST_PANICKED"))).isEqualTo(ExitReason.PANIC);
    }

    @Test
    void aResetIsToldApartByTheConsole() {
        assertThat(classify(PANIC, false, shutdown("guest-reset"))).isEqualTo(ExitReason.PANIC);
        assertThat(classify(RESTART, false, shutdown("guest-reset"))).isEqualTo(ExitReason.REBOOT);
        assertThat(classify("", false, shutdown("guest-reset"))).isEqualTo(ExitReason.TRIPLE_FAULT);
    }

    @Test
    void theFirstShutdownEventCounts() {
        assertThat(classify("", false, shutdown("guest-shutdown"), shutdown("host-qmp-quit")))
                .isEqualTo(ExitReason.POWEROFF);
    }

    @Test
    void withoutAGuestEvent() {
        assertThat(classify("", true)).isEqualTo(ExitReason.CLOSED);
        assertThat(classify("", true, shutdown("host-qmp-quit"))).isEqualTo(ExitReason.CLOSED);
        assertThat(classify(PANIC, false)).isEqualTo(ExitReason.PANIC);
        assertThat(classify("", false)).isEqualTo(ExitReason.CRASHED);
    }

    @Test
    void decidedOnce() {
        ConsoleLog log = new ConsoleLog();
        log.end();
        QemuExitClassifier c = new QemuExitClassifier(log);
        assertThat(c.classify(null)).isEqualTo(ExitReason.CRASHED);
        c.onEvent(shutdown("guest-shutdown"));
        assertThat(c.classify(null)).isEqualTo(ExitReason.CRASHED);
    }
}
