package dev.jktstr.machine;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Says where a slow boot is instead of staying silent (TCG with many vCPUs, PVM): from {@code every}
 * on, and then every {@code every}, a line with the time waited and the console's last line goes to a
 * sink, until the returned handle is closed (when the agent answered or the boot failed).
 */
public final class BootProgress implements AutoCloseable {

    private final Thread thread;

    private BootProgress(Thread thread) {
        this.thread = thread;
    }

    /** Starts watching {@code machine}; close the result when the wait is over. */
    public static BootProgress watch(Machine machine, Duration every, Consumer<String> sink) {
        long start = System.nanoTime();
        Thread t = Thread.ofPlatform().daemon().name("jktstr-boot-progress").start(() -> {
            try {
                while (true) {
                    Thread.sleep(every);
                    long waited = Math.round((System.nanoTime() - start) / 1e9);
                    sink.accept(line(waited, machine.backendName(), machine.consoleTail()));
                }
            } catch (InterruptedException done) {
                // the wait is over
            }
        });
        return new BootProgress(t);
    }

    /** "still booting on qemu:tcg after 20 s: [    3.1] Freeing unused kernel image memory" (last console line, cut to fit). */
    public static String line(long seconds, String backend, String consoleTail) {
        String last = consoleTail.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce((a, b) -> b)
                .orElse("(no console output yet)");
        return "still booting on " + backend + " after " + seconds + " s: " + GuestText.line(last, 100);
    }

    /** Stops the reports; none is delivered after this returns (a line being printed is waited for, up to 1 s). */
    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
