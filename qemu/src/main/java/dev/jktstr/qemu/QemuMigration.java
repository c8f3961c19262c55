package dev.jktstr.qemu;

import dev.jktstr.machine.MachineException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Saves a stopped guest's whole state into a file and loads it into a QEMU started with {@code -incoming defer},
 * through QEMU's migration over {@code exec:} (QEMU 7.2 has no {@code file:} URI; that came in 8.2). Guest RAM, on
 * shared memfds, stays out of QEMU's stream ({@link #ignoreSharedRam}): {@link QemuRamImage} carries it.
 */
final class QemuMigration {

    /** How often {@code query-migrate} is polled while a save or load runs. */
    private static final Duration POLL = Duration.ofMillis(5);

    private QemuMigration() {
    }

    /** Saves the (stopped) guest into {@code file}; waits up to {@code timeout} for QEMU to say completed. */
    static void save(QmpClient qmp, Path file, Duration timeout) {
        qmp.execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(file)), QmpClient.COMMAND_TIMEOUT);
        await(qmp, "saving the guest to " + file, timeout);
    }

    /**
     * Loads the first {@code length} bytes of {@code file} (QEMU's stream; guest RAM follows it, for
     * {@link QemuRamImage}) into a QEMU started with {@code -incoming defer}; the guest stays paused.
     */
    static void load(QmpClient qmp, Path file, long length, Duration timeout) {
        qmp.execute("migrate-incoming", Map.of("uri", "exec:head -c " + length + " " + shellQuote(file)),
                QmpClient.COMMAND_TIMEOUT);
        await(qmp, "restoring the guest from " + file, timeout);
    }

    /**
     * Leaves shared RAM (our memfd backends) out of the stream, on both sides: the JVM saves and restores it
     * ({@link QemuRamImage}), faster than QEMU's page-by-page stream. ROMs and devices stay in the stream.
     */
    static void ignoreSharedRam(QmpClient qmp) {
        qmp.execute("migrate-set-capabilities", Map.of("capabilities",
                List.of(Map.of("capability", "x-ignore-shared", "state", true))), QmpClient.COMMAND_TIMEOUT);
    }

    private static void await(QmpClient qmp, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object info = qmp.execute("query-migrate", Map.of(), QmpClient.COMMAND_TIMEOUT);
            String status = info instanceof Map<?, ?> m && m.get("status") instanceof String s ? s : "none";
            switch (status) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> {
                    Object error = info instanceof Map<?, ?> m ? m.get("error-desc") : null;
                    throw new MachineException(what + " failed in QEMU: " + (error == null ? status : error));
                }
                default -> {
                    // setup, active, device, none (an incoming load not begun yet): keep waiting
                }
            }
            if (System.nanoTime() > deadline) {
                throw new MachineException(what + " did not complete within " + timeout.toMillis() + " ms (QEMU says "
                        + status + ")");
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MachineException("interrupted while " + what);
            }
        }
    }

    /** One shell word for {@code /bin/sh -c}, which QEMU runs an {@code exec:} URI with. */
    static String shellQuote(Path file) {
        String s = file.toAbsolutePath().toString();
        if (s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0) {
            throw new MachineException("snapshot path has a newline: " + List.of(s));
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
