package dev.jktstr.qemu;

import dev.jktstr.machine.ConsoleLog;
import dev.jktstr.machine.ExitReason;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why QEMU exited, from its QMP events, the console and whether we killed it. {@code -no-reboot} turns every reset into
 * an exit. {@code SHUTDOWN} reason {@code guest-shutdown} → POWEROFF; {@code guest-panic} or {@code GUEST_PANICKED} →
 * PANIC; {@code guest-reset} → PANIC if the console showed a kernel panic (the backend adds {@code panic=-1}, so a
 * panic resets at once), REBOOT if it showed {@code reboot: Restarting system}, else TRIPLE_FAULT (a reset nobody asked
 * for). No event and killed by us → CLOSED; otherwise PANIC if the console showed one, else CRASHED. The console
 * rules stand in for pvpanic, which the shared kernel lacks. Decided once, on the first call after the exit.
 */
final class QemuExitClassifier {

    private static final Logger LOG = LoggerFactory.getLogger(QemuExitClassifier.class);
    private static final long DRAIN_MILLIS = 2000;

    private final ConsoleLog console;
    private volatile String shutdownReason;
    private volatile boolean guestPanicked;
    private volatile boolean killedByHost;
    private ExitReason decided; // guarded by this

    QemuExitClassifier(ConsoleLog console) {
        this.console = console;
    }

    /** A QMP event, on the QMP reader thread. */
    @SuppressWarnings("unchecked")
    void onEvent(Map<String, Object> event) {
        String name = String.valueOf(event.get("event"));
        Map<String, Object> data = event.get("data") instanceof Map<?, ?> d ? (Map<String, Object>) d : Map.of();
        switch (name) {
            case "SHUTDOWN" -> {
                if (shutdownReason == null) {
                    shutdownReason = String.valueOf(data.get("reason"));
                }
            }
            case "GUEST_PANICKED" -> guestPanicked = true;
            default -> LOG.trace("QMP event {}", event);
        }
    }

    /** We are about to stop QEMU ourselves: an exit without a guest event is then CLOSED, not CRASHED. */
    void killingByHost() {
        killedByHost = true;
    }

    /**
     * Why QEMU, which has exited, did. Everything the guest wrote before it stopped is in the console stream, and QEMU
     * sent its SHUTDOWN event before exiting: waits (2 s at most each) for the console and {@code qmp}, if there is
     * one, to reach their end first.
     */
    synchronized ExitReason classify(QmpClient qmp) {
        if (decided != null) {
            return decided;
        }
        try {
            console.awaitEnd(DRAIN_MILLIS);
            if (qmp != null) {
                qmp.awaitEnd(DRAIN_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        decided = decide(shutdownReason, guestPanicked, killedByHost, console.sawPanic(), console.sawRestart());
        return decided;
    }

    /** The rules, on what was seen. */
    static ExitReason decide(String shutdownReason, boolean guestPanicked, boolean killedByHost,
                             boolean consoleSawPanic, boolean consoleSawRestart) {
        if (guestPanicked || "guest-panic".equals(shutdownReason)) {
            return ExitReason.PANIC;
        }
        if ("guest-shutdown".equals(shutdownReason)) {
            return ExitReason.POWEROFF;
        }
        if ("guest-reset".equals(shutdownReason)) {
            return consoleSawPanic ? ExitReason.PANIC : consoleSawRestart ? ExitReason.REBOOT : ExitReason.TRIPLE_FAULT;
        }
        if (killedByHost) {
            return ExitReason.CLOSED;
        }
        return consoleSawPanic ? ExitReason.PANIC : ExitReason.CRASHED;
    }
}
