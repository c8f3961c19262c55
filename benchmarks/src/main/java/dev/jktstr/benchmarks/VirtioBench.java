package dev.jktstr.benchmarks;

import static dev.jktstr.benchmarks.VirtioBlkBench.DISK_BYTES;
import static dev.jktstr.benchmarks.VirtioConsoleBench.CONSOLE_BYTES;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * In-process throughput of the pure-Java virtio devices, each next to a peer measured in the same
 * run: the benchmark thread plays the guest driver ({@link VirtioBenchGuest}), the device runs on its
 * own worker thread as in the VMM.
 *
 * <ul>
 *   <li>{@link VirtioConsoleBench}: console port 1 both ways; peer: an OS pipe between two threads.
 *   <li>{@link VirtioBlkBench}: blk sequential read and write on a RAM disk and a temp file; peers:
 *   {@code MemorySegment.copy} and positional {@code FileChannel} I/O of the same sizes.
 * </ul>
 *
 * <p>{@link #main} runs JMH over both and prints MB/s and the ratios device / peer.
 */
public final class VirtioBench {

    private VirtioBench() {
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(VirtioConsoleBench.class.getName() + "\\.").include(VirtioBlkBench.class.getName() + "\\.")
                .build()).run();
        double consoleOut = mbps(results, "consoleGuestToHost", CONSOLE_BYTES);
        double consoleIn = mbps(results, "consoleHostToGuest", CONSOLE_BYTES);
        double pipeMbps = mbps(results, "pipePeer", CONSOLE_BYTES);
        System.out.printf("console port 1 guest -> host %.0f MB/s, host -> guest %.0f MB/s; pipe between threads %.0f"
                + " MB/s; ratios %.2f and %.2f%n", consoleOut, consoleIn, pipeMbps, consoleOut / pipeMbps,
                consoleIn / pipeMbps);
        for (String[] pair : new String[][] {{"blkRamRead", "ramCopyReadPeer"}, {"blkRamWrite", "ramCopyWritePeer"},
                {"blkFileRead", "fileChannelReadPeer"}, {"blkFileWrite", "fileChannelWritePeer"}}) {
            double device = mbps(results, pair[0], DISK_BYTES);
            double peer = mbps(results, pair[1], DISK_BYTES);
            System.out.printf("virtio-blk %-12s %7.0f MB/s; %-20s %7.0f MB/s; ratio %.2f%n", pair[0], device, pair[1],
                    peer, device / peer);
        }
    }

    private static double mbps(Collection<RunResult> results, String method, int bytesPerOp) {
        double opsPerSecond = results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method))
                .findFirst().orElseThrow(() -> new IllegalStateException("no result for " + method))
                .getPrimaryResult().getScore();
        return opsPerSecond * bytesPerOp / 1e6;
    }
}
