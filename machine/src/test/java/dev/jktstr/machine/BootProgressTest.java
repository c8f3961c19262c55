package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BootProgressTest {

    @Test
    void lineShowsTheConsolesLastLineCutToFit() {
        assertThat(BootProgress.line(20, "qemu:tcg", "[    1.0] a\n[    3.1] Freeing unused kernel image memory\n\n"))
                .isEqualTo("still booting on qemu:tcg after 20 s: [    3.1] Freeing unused kernel image memory");
        assertThat(BootProgress.line(10, "kvm", "")).endsWith("(no console output yet)");
        assertThat(BootProgress.line(10, "kvm", "x".repeat(300)))
                .isEqualTo("still booting on kvm after 10 s: " + "x".repeat(100) + "… (200 more bytes)");
    }

    @Test
    void reportsUntilClosed() throws Exception {
        Machine machine = (Machine) Proxy.newProxyInstance(Machine.class.getClassLoader(), new Class<?>[] {Machine.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "backendName" -> "fake";
                    case "consoleTail" -> "[    0.5] booting\n";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        try (BootProgress progress = BootProgress.watch(machine, Duration.ofMillis(20), lines::add)) {
            assertThat(lines.poll(10, TimeUnit.SECONDS)).isEqualTo("still booting on fake after 0 s: [    0.5] booting");
        }
        lines.clear();
        // Five report periods without a line: a negative claim needs some waiting, none is for synchronisation.
        assertThat(lines.poll(100, TimeUnit.MILLISECONDS)).as("nothing after close").isNull();
    }
}
