package dev.jktstr.kvm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.machine.ExitReason;
import dev.jktstr.virtio.VirtioBlock;
import dev.jktstr.virtio.VirtioConsole;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark, not a unit test (not matched by Surefire's defaults; {@code benchmarks/run.sh virtio-guest}
 * runs it): the vbench test guest streams 32 MiB out on console port 1, then writes and reads 32 MiB on
 * a file-backed virtio-blk disk in 128 KiB requests. The host timestamps the guest's MARK lines and
 * prints MB/s, with the same file I/O done directly by the host as the peer in the same run.
 */
class VirtioThroughputBench {

    static final long BYTES = 32L << 20;
    static final int REQ = 128 << 10;

    @Test
    void throughput(@TempDir Path dir) throws Exception {
        assumeTrue(Boolean.getBoolean("jktstr.benchmark"), "run through benchmarks/run.sh virtio-guest");
        TestGuests.assumeKvm();
        Path image = dir.resolve("disk.img");
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(new byte[1]), BYTES * 2 - 1);
        }
        VirtioConsole console = VirtioConsole.withNamedPorts(List.of("jktstr.ctl"));
        Map<String, Long> marks = new ConcurrentHashMap<>();
        long consoleBytes;
        try (VirtualMachine vm = TestGuests.create("vbench", VirtualMachine.builder().memoryMib(32).watchdog(Duration.ofMinutes(10)))) {
            vm.addVirtioDevice("console", console);
            vm.addVirtioDevice("disk", VirtioBlock.file(image).build());
            long[] drained = new long[1];
            Thread sink = Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[64 << 10];
                try (InputStream in = console.port(1).fromGuest()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        drained[0] += n;
                    }
                } catch (IOException ignored) {
                    // closed with the VM
                }
            });
            Thread watcher = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(vm.serialOutput(0), StandardCharsets.US_ASCII))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("MARK ")) {
                            marks.put(line.substring(5).strip(), System.nanoTime());
                        } else if (!line.isBlank()) {
                            System.out.println("guest: " + line);
                        }
                    }
                } catch (IOException ignored) {
                    // closed with the VM
                }
            });
            vm.start();
            ExitReason exit = vm.awaitExit(Duration.ofMinutes(10));
            watcher.join(5000);
            if (exit != ExitReason.POWEROFF || !marks.containsKey("blk-read-end")) {
                throw new IllegalStateException("the benchmark guest did not finish: " + vm.exit() + "\n" + TestGuests.output(vm, 0));
            }
            vm.close();
            sink.join(5000);
            consoleBytes = drained[0];
        }
        double consoleMbps = mbps(consoleBytes, marks, "console");
        double write = mbps(BYTES, marks, "blk-write");
        double read = mbps(BYTES, marks, "blk-read");
        // The peer: the same sequential file I/O done by the host itself, same sizes, same file.
        ByteBuffer buf = ByteBuffer.allocateDirect(REQ);
        long t0 = System.nanoTime();
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.WRITE)) {
            for (long at = 0; at < BYTES; at += REQ) {
                buf.clear();
                f.write(buf, BYTES + at);
            }
            f.force(false);
        }
        double hostWrite = BYTES / 1e6 / ((System.nanoTime() - t0) / 1e9);
        t0 = System.nanoTime();
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.READ)) {
            for (long at = 0; at < BYTES; at += REQ) {
                buf.clear();
                f.read(buf, BYTES + at);
            }
        }
        double hostRead = BYTES / 1e6 / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("virtio from a test guest (%s KVM), 32 MiB each:%n", Kvm.isPvm() ? "PVM" : "hardware");
        System.out.printf("  console port 1 guest->host: %.1f MB/s (%d bytes)%n", consoleMbps, consoleBytes);
        System.out.printf("  blk sequential write+flush: %.1f MB/s; host FileChannel peer %.1f MB/s; ratio %.2f%n", write, hostWrite,
                write / hostWrite);
        System.out.printf("  blk sequential read:        %.1f MB/s; host FileChannel peer %.1f MB/s; ratio %.2f%n", read, hostRead,
                read / hostRead);
    }

    private static double mbps(long bytes, Map<String, Long> marks, String phase) {
        long ns = marks.get(phase + "-end") - marks.get(phase + "-start");
        return bytes / 1e6 / (ns / 1e9);
    }
}
