package dev.jktstr.benchmarks;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.KernelView;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * Snapshot cost on a 4-vCPU guest: one full scheduler snapshot (every CPU's runqueue and sched_ext
 * state plus event counters), freeze to thaw ({@code Machine.freeze()}: on QEMU a SIGSTOP of the process,
 * not a QMP stop), against its peer measured in the same run — the same read with the guest already
 * stopped, i.e. what the freeze/thaw round trip adds. Then bulk guest-memory
 * read bandwidth (guest RAM segment → host buffer) against a host-to-host copy of the same size.
 * Targets: snapshot ≤ 1 ms, bulk read ≥ 5 GB/s.
 *
 * <p>Usage: {@code IntrospectionSnapshot [samples] [backend]} (default 500, qemu:tcg); kernel from
 * JKTSTR_KERNEL through KernelLookup, else ../shared/kernels/linux-6.12-sched_ext.
 */
public final class IntrospectionSnapshot {
    private IntrospectionSnapshot() {
    }

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        String backendName = args.length > 1 ? args[1] : "qemu:tcg";
        KernelImage kernel = kernel();
        try (GuestImage image = GuestImage.builder().withBusybox(true).build();
             Btf btf = Btf.load(kernel.vmlinux().orElseThrow(() -> new IllegalStateException("no vmlinux beside "
                     + kernel.image())))) {
            MachineSpec spec = MachineSpec.builder(kernel.image()).initramfs(image.initramfs())
                    .topology(new Topology(1, 1, 4, 1)).memoryPerNodeMib(512).commandLine("quiet").build();
            try (Machine m = MachineBackends.byName(backendName).boot(spec)) {
                KernelSymbols symbols = KernelSymbols.fromSystemMap(kernel.systemMap().orElseThrow());
                Introspector in = awaitKernel(m, btf, symbols);
                KernelView v = in.view();
                System.out.printf("attached to %s: KASLR slide 0x%x via %s%n", m.backendName(), v.slide(), v.slideSource());
                for (int i = 0; i < 50; i++) {
                    in.snapshot(SnapshotOptions.SCHEDULER); // warm up JIT and caches
                }
                long[] full = new long[samples];
                for (int i = 0; i < samples; i++) {
                    full[i] = in.snapshot(SnapshotOptions.SCHEDULER).pausedNanos();
                }
                long[] readOnly = new long[samples];
                m.pause();
                try {
                    for (int i = 0; i < samples; i++) {
                        long t0 = System.nanoTime();
                        Snapshot s = Introspector.read(in.walkers(), SnapshotOptions.SCHEDULER);
                        readOnly[i] = System.nanoTime() - t0;
                        if (s.runqueues().size() != 4) {
                            throw new IllegalStateException("expected 4 runqueues: " + s.toText());
                        }
                    }
                } finally {
                    m.resume();
                }
                Arrays.sort(full);
                Arrays.sort(readOnly);
                System.out.printf("snapshot (4 rq + scx state + counters), %d samples: freeze-read-thaw median %.3f ms, "
                        + "p99 %.3f ms (target <= 1 ms); read alone (guest already stopped) median %.1f us, p99 %.1f us; "
                        + "ratio %.1f%n", samples, ms(pct(full, 50)), ms(pct(full, 99)), pct(readOnly, 50) / 1e3,
                        pct(readOnly, 99) / 1e3, (double) pct(full, 50) / pct(readOnly, 50));
                bandwidth(m.memory());
            }
        }
    }

    /**
     * Waits until the guest's kernel is up: through the agent where the backend has a control port,
     * else (a VMM without one yet) until the kernel can be located and all 4 CPUs are online.
     */
    private static Introspector awaitKernel(Machine m, Btf btf, KernelSymbols symbols) throws InterruptedException {
        try {
            AgentClient agent = AgentClient.connect(m.control().in(), m.control().out(), Duration.ofSeconds(120));
            agent.exec("sleep 1");
            return Introspector.attach(m, btf, symbols);
        } catch (dev.jktstr.machine.MachineStateException noControlPort) {
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            RuntimeException last = null;
            while (System.nanoTime() < deadline) {
                try {
                    Introspector in = Introspector.attach(m, btf, symbols);
                    if (in.paused(w -> w.view().perCpu().onlineCpus().size()) == 4) {
                        Thread.sleep(2000);
                        return in;
                    }
                } catch (RuntimeException e) {
                    last = e;
                }
                Thread.sleep(500);
            }
            throw new IllegalStateException("kernel not up after 180 s: " + last + "\n" + m.consoleTail());
        }
    }

    /** Guest RAM → host buffer against host buffer → host buffer, 256 MiB each, best of 5. */
    private static void bandwidth(GuestMemory mem) {
        GuestMemory.Range r = mem.ramRanges().stream().max((a, b) -> Long.compare(a.size(), b.size())).orElseThrow();
        long size = Math.min(256L << 20, r.size());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(size, 4096);
            MemorySegment src = arena.allocate(size, 4096);
            src.fill((byte) 1);
            dst.fill((byte) 2);
            double guest = 0;
            double host = 0;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                dst.copyFrom(mem.segment(r.start(), size));
                long t1 = System.nanoTime();
                dst.copyFrom(src);
                long t2 = System.nanoTime();
                guest = Math.max(guest, size / ((t1 - t0) / 1e9) / 1e9);
                host = Math.max(host, size / ((t2 - t1) / 1e9) / 1e9);
            }
            System.out.printf("bulk guest-memory read (%d MiB, best of 5): %.1f GB/s (target >= 5); host memcpy %.1f GB/s; "
                    + "ratio %.2f%n", size >> 20, guest, host, guest / host);
        }
    }

    private static KernelImage kernel() {
        try {
            KernelImage k = KernelLookup.standard().find();
            if (k.vmlinux().isPresent() && k.systemMap().isPresent()) {
                return k;
            }
        } catch (RuntimeException e) {
            // fall back to the shared kernel below
        }
        Path shared = Path.of(System.getProperty("jktstr.repo.root", ".")).toAbsolutePath().normalize()
                .resolveSibling("shared").resolve("kernels/linux-6.12-sched_ext");
        if (!Files.isDirectory(shared)) {
            throw new IllegalStateException("no kernel with vmlinux and System.map: set JKTSTR_KERNEL");
        }
        return KernelLookup.resolve(shared.toString());
    }

    private static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static double ms(long ns) {
        return ns / 1e6;
    }
}
