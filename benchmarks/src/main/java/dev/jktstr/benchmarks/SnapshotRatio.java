package dev.jktstr.benchmarks;

import dev.jktstr.guest.GuestImage;
import dev.jktstr.guest.GuestSession;
import dev.jktstr.guest.SnapshotStore;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.qemu.QemuBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Time to agent READY from a snapshot against a cold boot, same spec, alternating in one run (who goes first swaps each
 * round, so drift in machine load hits both alike); prints both medians and their ratio (target ≤ 0.1 under QEMU TCG).
 * Each side is timed from calling {@link GuestSession#boot} to its return: the restore side includes finding and
 * checking the snapshot (hashing kernel and initramfs, the state file's CRC-32C). A first cold boot saves the snapshot
 * (its save time is printed); the store is a temp dir removed at the end.
 *
 * <p>Usage: {@code SnapshotRatio [rounds] [N,L,C,T] [MiB per node]}; kernel from the standard lookup (JKTSTR_KERNEL).
 */
public final class SnapshotRatio {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private SnapshotRatio() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Topology topology = Topology.parse(args.length > 1 ? args[1] : "1,1,2,1");
        long mib = args.length > 2 ? Long.parseLong(args[2]) : 256;
        Path kernel = dev.jktstr.kconfig.KernelLookup.standard().find().image();
        QemuBackend backend = new QemuBackend(null, QemuBackend.Accel.TCG);
        Path storeDir = Files.createTempDirectory("jktstr-snapshot-bench-");
        try (GuestImage image = GuestImage.builder().withBusybox(true).build()) {
            SnapshotStore store = SnapshotStore.at(storeDir);
            MachineSpec spec = MachineSpec.builder(kernel).initramfs(image.initramfs()).topology(topology)
                    .memoryPerNodeMib(mib).commandLine("quiet").build();
            long t0 = System.nanoTime();
            try (GuestSession first = GuestSession.boot(backend, spec, READY_TIMEOUT, System.out::println, store)) {
                System.out.printf("first boot (cold, then save): %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            }
            SnapshotStore.Lookup l = store.find(backend, spec);
            Path state = l.state().orElseThrow(() -> new IllegalStateException("no snapshot saved: " + l.reason()));
            long f0 = System.nanoTime();
            store.find(backend, spec);
            System.out.printf("state file %.1f MiB for %d MiB of guest RAM; finding and checking it: %.1f ms%n",
                    Files.size(state) / 1048576.0, spec.totalMemoryMib(), (System.nanoTime() - f0) / 1e6);

            double[] cold = new double[rounds];
            double[] warm = new double[rounds];
            double[] warmVmmToReady = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    cold[i] = boot(backend, spec, null, null, i);
                    warm[i] = boot(backend, spec, store, warmVmmToReady, i);
                } else {
                    warm[i] = boot(backend, spec, store, warmVmmToReady, i);
                    cold[i] = boot(backend, spec, null, null, i);
                }
                System.out.printf("round %d: cold %.0f ms, from snapshot %.0f ms (QEMU start to READY %.0f ms)%n", i + 1,
                        cold[i], warm[i], warmVmmToReady[i]);
            }
            double c = median(cold);
            double w = median(warm);
            System.out.printf("agent READY, topology %s, %d MiB/node, QEMU TCG, %d rounds: cold median %.0f ms, from a "
                    + "snapshot median %.0f ms, ratio %.3f (target <= 0.1); best %.0f vs %.0f ms, ratio %.3f%n",
                    topology, mib, rounds, c, w, w / c, min(cold), min(warm), min(warm) / min(cold));
        } finally {
            try (Stream<Path> walk = Files.walk(storeDir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double boot(QemuBackend backend, MachineSpec spec, SnapshotStore store, double[] vmmToReady,
            int round) {
        long t0 = System.nanoTime();
        try (GuestSession s = GuestSession.boot(backend, spec, READY_TIMEOUT, line -> System.out.println("  " + line),
                store)) {
            double ms = (System.nanoTime() - t0) / 1e6;
            if (store != null) {
                if (!s.restored()) {
                    throw new IllegalStateException("expected a restore");
                }
                vmmToReady[round] = s.bootToReady().toNanos() / 1e6;
            }
            s.agent().ping();
            return ms;
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
