package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VcpuHostTimeTest {

    @Test
    void readsThisThreadsCpuTimeFromProc() throws Exception {
        Path me = Path.of("/proc/thread-self").toRealPath();
        VcpuHostTime before = VcpuHostTime.ofThread(me, 2).orElseThrow();
        // spin until the JVM says this thread has had 60 ms of CPU (the oracle), however busy the host is; not by wall time
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long giveUp = System.nanoTime() + 30_000_000_000L;
        long x = 0;
        while (threads.getCurrentThreadCpuTime() - cpu0 < 60_000_000L && System.nanoTime() < giveUp) {
            for (int i = 0; i < 10_000; i++) {
                x += x * 31 + 7;
            }
        }
        VcpuHostTime after = VcpuHostTime.ofThread(me, 2).orElseThrow();
        assertThat(x).isNotEqualTo(1); // keep the loop
        // /proc counts in 10 ms ticks without schedstat: 60 ms of CPU shows as at least 40 ms
        assertThat(after.cpuNanos() - before.cpuNanos()).as("60 ms of CPU by the JVM's count").isGreaterThanOrEqualTo(40_000_000L);
        assertThat(after.stopped()).isFalse();
        assertThat(after.sharedBy()).isEqualTo(2);
        if (Files.exists(me.resolve("schedstat"))) {
            assertThat(after.waitKnown()).isTrue();
            assertThat(after.waitNanos()).isGreaterThanOrEqualTo(before.waitNanos());
        }
    }

    @Test
    void statAloneGivesTicksAndTheStoppedState(@TempDir Path dir) throws Exception {
        // utime 150 + stime 50 ticks = 2 s; state T (stopped); comm with a ") " inside
        Files.writeString(dir.resolve("stat"), "42 (CPU 0) T/x) T 1 1 1 0 -1 4194560 0 0 0 0 150 50 0 0 20 0 1 0 100");
        Optional<VcpuHostTime> t = VcpuHostTime.ofThread(dir, 1);
        assertThat(t).hasValue(new VcpuHostTime(2_000_000_000L, -1, true, 1));
        assertThat(t.get().waitKnown()).isFalse();
        Files.writeString(dir.resolve("schedstat"), "123456 789 10\n");
        assertThat(VcpuHostTime.ofThread(dir, 1)).hasValue(new VcpuHostTime(123456, 789, true, 1));
    }

    @Test
    void aMissingThreadIsEmptyNotAnError(@TempDir Path dir) {
        assertThat(VcpuHostTime.ofThread(dir.resolve("gone"), 1)).isEmpty();
        assertThatThrownBy(() -> new VcpuHostTime(0, 0, false, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
