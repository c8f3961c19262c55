package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.ExitReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.jktstr.virtio.VirtioBlock;
import dev.jktstr.virtio.VirtioConsole;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** 200 create/run/close cycles of a test guest with virtio devices leave descriptors, threads and memory flat. */
class HygieneTest {

    @Test
    void createRunCloseCyclesLeakNothing() throws Exception {
        TestGuests.assumeKvm();
        TestGuests.assumeBinutils();
        cycles(20); // warm up: classes, the kick handler page, the watchdog thread, JIT
        System.gc();
        Snapshot before = Snapshot.take();
        cycles(200);
        System.gc();
        Snapshot after = Snapshot.take();
        System.out.println("hygiene: before " + before + ", after 200 cycles " + after);
        assertThat(after.fds).as("open descriptors").isEqualTo(before.fds);
        assertThat(after.threads).as("threads").isLessThanOrEqualTo(before.threads);
        // Each cycle maps 16 MiB of guest RAM and a kvm_run page: a leak of either shows in VmSize at once.
        assertThat(after.vmSizeKib - before.vmSizeKib).as("VmSize growth (KiB)").isLessThan(16 * 1024);
        assertThat(after.rssKib - before.rssKib).as("RSS growth (KiB)").isLessThan(64 * 1024);
    }

    private static void cycles(int n) {
        for (int i = 0; i < n; i++) {
            VirtualMachine vm = TestGuests.create("serial", VirtualMachine.builder().memoryMib(16)
                    .watchdog(Duration.ofSeconds(30)));
            try (vm) {
                // Every cycle also plugs virtio devices: their workers, eventfds and the RAM disk must go too.
                vm.addVirtioDevice("console", VirtioConsole.withNamedPorts(List.of("jktstr.ctl")));
                vm.addVirtioDevice("disk", VirtioBlock.ram(1 << 20).build());
                vm.start();
                assertThat(vm.awaitExit(Duration.ofSeconds(30))).isEqualTo(ExitReason.POWEROFF);
            }
        }
    }

    record Snapshot(long fds, long threads, long rssKib, long vmSizeKib) {
        static Snapshot take() throws IOException {
            long fds;
            try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
                fds = s.count();
            }
            long threads;
            try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
                threads = s.count();
            }
            long rss = 0;
            long size = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("VmSize:")) {
                    size = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
            return new Snapshot(fds, threads, rss, size);
        }
    }
}
