package dev.jktstr.benchmarks;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.guest.GuestSession;
import dev.jktstr.guest.WorkerGroup;
import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.guest.WorkloadType;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.qemu.QemuBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Worker runtime overhead: SpinWait's work units per second under our runtime (a checkpoint per unit: the clock,
 * sched_getcpu, the gap bookkeeping) against a plain C loop doing the same spin(2000) per unit and checking only the
 * clock, in the same guest (one vCPU, so both have the CPU to themselves), alternating rounds. Target >= 0.97.
 * A third side, the plain loop plus what a checkpoint adds (sched_getcpu, writes to a shared page), tells whether a
 * gap is the checkpoint's work or something else about running as a worker.
 * Args: [rounds] [seconds per side per round].
 */
public final class WorkerRuntimeRatio {
    private WorkerRuntimeRatio() {}

    /** The peer: the worker's spin() and a clock check per unit, nothing else; built like the agent (gcc -static -Os). */
    private static final String PEER = """
            #define _GNU_SOURCE
            #include <sched.h>
            #include <stdint.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/mman.h>
            #include <time.h>
            static uint64_t now_ns(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
                return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec; }
            /* noinline and a count only known at run time, as in the agent: else gcc specialises the loop for 2000
               (strength-reducing the multiply away) and the peer does less work per unit than the worker */
            static volatile uint32_t LOOPS = 2000;
            __attribute__((noinline)) static void spin(uint32_t loops) {
                volatile uint64_t x = 0; for (uint32_t i = 0; i < loops; i++) x += i * 2654435761u; }
            int main(int argc, char **argv) {
                uint64_t start = now_ns(), end = start + (uint64_t) (atof(argc > 1 ? argv[1] : "1") * 1e9), n = 0, t;
                if (argc > 2 && strcmp(argv[2], "slot") == 0) { /* plus what a checkpoint adds: CPU read, shared-slot writes */
                    volatile uint64_t *slot = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
                    int last = -1;
                    while ((t = now_ns()) < end) { spin(LOOPS); n++; int c = sched_getcpu(); if (c != last) slot[3]++;
                        last = c; slot[0] = n; slot[1] = t; slot[2] |= 1ull << (c & 63); }
                } else {
                    while ((t = now_ns()) < end) { spin(LOOPS); n++; }
                }
                printf("%llu %llu\\n", (unsigned long long) n, (unsigned long long) (t - start));
                return 0;
            }
            """;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double secs = args.length > 1 ? Double.parseDouble(args[1]) : 2.0;
        Path dir = Files.createTempDirectory("jktstr-spin-peer");
        Path src = Files.writeString(dir.resolve("spin_peer.c"), PEER);
        Path bin = dir.resolve("spin_peer");
        Process cc = new ProcessBuilder("gcc", "-static", "-Os", "-o", bin.toString(), src.toString()).inheritIO().start();
        if (cc.waitFor() != 0) {
            throw new IllegalStateException("gcc failed building the peer (apt-get install gcc libc6-dev)");
        }
        Path kernel = dev.jktstr.kconfig.KernelLookup.standard().find().image();
        double[] ours = new double[rounds];
        double[] peer = new double[rounds];
        double[] slot = new double[rounds];
        try (GuestImage image = GuestImage.builder().withBusybox(true).addBinary(bin, "/bin/spin_peer").build()) {
            MachineSpec spec = MachineSpec.builder(kernel).initramfs(image.initramfs()).topology(new Topology(1, 1, 1, 1))
                    .memoryPerNodeMib(256).commandLine("quiet").build();
            try (GuestSession s = GuestSession.boot(new QemuBackend(null, QemuBackend.Accel.TCG), spec, Duration.ofSeconds(180))) {
                AgentClient agent = s.agent();
                for (int i = 0; i < rounds; i++) {
                    // alternate who goes first so drift in the host's load hits both alike
                    if (i % 2 == 0) {
                        peer[i] = peerRate(agent, secs, "plain");
                        ours[i] = spinWaitRate(agent, secs);
                        slot[i] = peerRate(agent, secs, "slot");
                    } else {
                        slot[i] = peerRate(agent, secs, "slot");
                        ours[i] = spinWaitRate(agent, secs);
                        peer[i] = peerRate(agent, secs, "plain");
                    }
                    System.out.printf("round %d: SpinWait %.0f units/s, plain C %.0f units/s, ratio %.3f; C with the"
                            + " checkpoint's CPU read and slot writes %.0f units/s (%.3f of plain)%n", i + 1, ours[i], peer[i],
                            ours[i] / peer[i], slot[i], slot[i] / peer[i]);
                }
            }
        } finally {
            Files.deleteIfExists(bin);
            Files.deleteIfExists(src);
            Files.deleteIfExists(dir);
        }
        double o = median(ours), p = median(peer);
        System.out.printf("worker runtime overhead (TCG, 1 vCPU, %d rounds x %.1f s): SpinWait median %.0f units/s, plain C"
                + " median %.0f units/s, ratio %.3f (target >= 0.97); best %.3f; C with the checkpoint's work: %.3f of plain%n",
                rounds, secs, o, p, o / p, max(ours) / max(peer), median(slot) / p);
    }

    private static double spinWaitRate(AgentClient agent, double secs) throws InterruptedException {
        WorkerGroup g = agent.spawnWorkers(WorkerRequest.of("", 1, WorkloadType.SPIN_WAIT));
        agent.startWorkers(g);
        Thread.sleep((long) (secs * 1000));
        WorkerTelemetry w = agent.stopWorkers(g, Duration.ofSeconds(10)).getFirst();
        System.out.printf("  SpinWait: on CPU %.3f of its wall time, run delay %d ms, %d timeslices, %d involuntary switches%n",
                w.cpuNanos() / (double) w.wallNanos(), w.runDelay().orElse(-1) / 1_000_000, w.timeslices(),
                w.involuntarySwitches());
        return w.workUnits() / (w.wallNanos() / 1e9);
    }

    private static double peerRate(AgentClient agent, double secs, String variant) {
        ExecResult r = agent.exec(List.of("/bin/spin_peer", Double.toString(secs), variant), Map.of(), Duration.ofSeconds(120));
        String[] f = r.stdoutText().trim().split(" ");
        return Long.parseLong(f[0]) / (Long.parseLong(f[1]) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }
}
