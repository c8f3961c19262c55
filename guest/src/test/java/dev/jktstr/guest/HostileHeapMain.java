package dev.jktstr.guest;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * Runs in a JVM of its own with a small heap ({@link HeapBoundTest} starts it with {@code -Xmx64m}): a hostile agent
 * answers one READ_FILE with hundreds of MiB. Prints one line starting with PASS or FAIL and exits 0 or 1.
 *
 * <ul>
 *   <li>{@code cap}: a sysfs-sized read (64 KiB cap) answered with 256 MiB. The call fails, the channel stays usable, the
 *       heap stays within the JVM's bound (no OutOfMemoryError anywhere).
 *   <li>{@code oom}: a read with the largest cap there is, answered with 1 GiB. The reader thread runs out of memory;
 *       the call fails at once, the client says it is broken, and later calls fail fast instead of timing out.
 * </ul>
 */
public final class HostileHeapMain {

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        try (HostilePeer peer = new HostilePeer(); AgentClient c = peer.connect()) {
            byte[] chunk = FrameCodec.encode(0, Protocol.DATA, new byte[Protocol.MAX_PAYLOAD]);
            int chunks = scenario.equals("cap") ? 64 : 256;
            Thread flood = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Frame read = peer.call();
                    ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).putInt(4, read.id());
                    for (int i = 0; i < chunks; i++) {
                        peer.out.write(chunk);
                    }
                    peer.send(read.id(), Protocol.OK, new PayloadWriter().u64((long) chunks * Protocol.MAX_PAYLOAD).toBytes());
                    Frame ping = peer.call();
                    peer.send(ping.id(), Protocol.OK, new byte[0]);
                } catch (Exception e) {
                    // the host gave up on the channel
                }
            });
            long max = Runtime.getRuntime().maxMemory();
            String result = switch (scenario) {
                case "cap" -> cap(c);
                case "oom" -> oom(c);
                default -> "FAIL unknown scenario " + scenario;
            };
            System.out.println(result + " (max heap " + (max >> 20) + " MiB, peak heap used " + (peakHeap() >> 20) + " MiB)");
            System.out.flush();
            flood.interrupt();
            Runtime.getRuntime().halt(result.startsWith("PASS") ? 0 : 1);
        }
    }

    private static String cap(AgentClient c) {
        try {
            c.readFile("/sys/kernel/sched_ext/state", 64 << 10, Duration.ofSeconds(60));
            return "FAIL the read of 256 MiB under a 64 KiB cap succeeded";
        } catch (AgentProtocolException expected) {
            // the excess arrives and is dropped; the channel stays in sync
        }
        c.ping(Duration.ofSeconds(60));
        return c.isOpen() ? "PASS cap held, channel usable" : "FAIL the channel broke";
    }

    private static String oom(AgentClient c) {
        long t0 = System.nanoTime();
        try {
            c.readFile("/tmp/huge", AgentClient.MAX_FILE_CAP, Duration.ofSeconds(60));
            return "FAIL 1 GiB fit in the heap";
        } catch (AgentTimeoutException e) {
            return "FAIL the call timed out: the reader died quietly";
        } catch (AgentException e) {
            if (!String.valueOf(e.getMessage()).contains("OutOfMemoryError")) {
                return "FAIL unexpected: " + e;
            }
        }
        long failedAfter = (System.nanoTime() - t0) / 1_000_000;
        if (c.isOpen()) {
            return "FAIL the client says it is open after its reader died";
        }
        long t1 = System.nanoTime();
        try {
            c.ping(Duration.ofSeconds(30));
            return "FAIL ping worked on a broken channel";
        } catch (AgentTimeoutException e) {
            return "FAIL a later call timed out instead of failing fast";
        } catch (AgentException expected) {
            // fails fast
        }
        long pingMs = (System.nanoTime() - t1) / 1_000_000;
        return pingMs < 1_000 ? "PASS reader OOM broke the channel; the read failed after " + failedAfter
                + " ms, a later call in " + pingMs + " ms" : "FAIL a later call took " + pingMs + " ms";
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
