package dev.jktstr.benchmarks;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.qemu.QemuBackend;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Boot to agent-ready through jktstr's QEMU backend against plain QEMU started by hand with the same
 * kernel, initramfs and topology, alternating, in one run; prints both medians and their ratio
 * (target ≤ 1.1), then the control channel's round-trip latency (agent PING) as median and p99.
 * "Ready" is the agent's READY frame arriving on the host side of the jktstr.ctl socket.
 *
 * <p>Usage: {@code BootVsQemu [runs] [N,L,C,T] [memoryPerNodeMiB]}; kernel from JKTSTR_KERNEL or
 * ../shared/kernels/linux-6.12-sched_ext (a bzImage inside).
 */
public final class BootVsQemu {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private BootVsQemu() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Topology topology = Topology.parse(args.length > 1 ? args[1] : "1,1,2,1");
        long mib = args.length > 2 ? Long.parseLong(args[2]) : 256;
        Path kernel = kernel();
        QemuBackend backend = new QemuBackend(null, QemuBackend.Accel.TCG);
        Path qemu = backend.findBinary().orElseThrow(() -> new IllegalStateException("qemu-system-x86_64 not installed"));
        try (GuestImage image = GuestImage.builder().withBusybox(true).build()) {
            MachineSpec spec = MachineSpec.builder(kernel).initramfs(image.initramfs()).topology(topology)
                    .memoryPerNodeMib(mib).commandLine("quiet").build();
            double[] ours = new double[runs];
            double[] plain = new double[runs];
            List<Double> pings = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                // Alternate who goes first so drift in machine load hits both sides alike.
                if (i % 2 == 0) {
                    plain[i] = plainQemu(qemu, spec);
                    ours[i] = jktstr(backend, spec, i == runs - 1 ? pings : null);
                } else {
                    ours[i] = jktstr(backend, spec, i == runs - 1 ? pings : null);
                    plain[i] = plainQemu(qemu, spec);
                }
                System.out.printf("run %d: jktstr %.0f ms, plain qemu %.0f ms%n", i + 1, ours[i], plain[i]);
            }
            double o = median(ours);
            double p = median(plain);
            System.out.printf("boot to agent ready, topology %s, %d MiB/node, TCG, %d runs each: jktstr median %.0f ms, "
                    + "plain QEMU median %.0f ms, ratio %.3f (target <= 1.1); best runs %.0f vs %.0f ms, ratio %.3f%n",
                    topology, mib, runs, o, p, o / p, min(ours), min(plain), min(ours) / min(plain));
            double[] ping = pings.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("control channel round trip (agent PING, %d pings): median %.1f us, p99 %.1f us%n",
                    ping.length, percentile(ping, 50), percentile(ping, 99));
        }
    }

    private static Path kernel() {
        return dev.jktstr.kconfig.KernelLookup.standard().find().image();
    }

    /** Milliseconds from calling boot() to READY; collects PING round trips (µs) when asked. */
    private static double jktstr(QemuBackend backend, MachineSpec spec, List<Double> pings) {
        long t0 = System.nanoTime();
        try (Machine m = backend.boot(spec);
             AgentClient agent = AgentClient.connect(m.control().in(), m.control().out(), READY_TIMEOUT)) {
            double ms = (System.nanoTime() - t0) / 1e6;
            if (pings != null) {
                for (int i = 0; i < 50; i++) {
                    agent.ping();
                }
                for (int i = 0; i < 1000; i++) {
                    long s = System.nanoTime();
                    agent.ping();
                    pings.add((System.nanoTime() - s) / 1e3);
                }
            }
            return ms;
        }
    }

    /**
     * Plain QEMU as one would start it by hand: the same -smp/-numa/-kernel/-initrd/-append, RAM from
     * the default backend, no QMP, serial to nowhere, the control port a listening chardev socket.
     */
    private static double plainQemu(Path qemu, MachineSpec spec) throws IOException, InterruptedException {
        Topology t = spec.topology();
        Path dir = Files.createTempDirectory("jktstr-bench-");
        Path sock = dir.resolve("ctl.sock");
        List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-machine", "q35", "-nodefaults", "-no-user-config",
                "-display", "none", "-no-reboot", "-accel", "tcg,thread=single", "-cpu", "max",
                "-smp", "cpus=" + t.cpuCount() + ",sockets=" + t.llcCount() + ",dies=1,cores=" + t.coresPerLlc()
                        + ",threads=" + t.threadsPerCore(),
                "-m", spec.totalMemoryMib() + "M"));
        for (int n = 0; n < t.numaNodes(); n++) {
            cmd.addAll(List.of("-object", "memory-backend-ram,id=m" + n + ",size=" + spec.memoryPerNodeMib() + "M",
                    "-numa", "node,nodeid=" + n + ",cpus=" + Topology.cpuList(t.cpusOfNode(n)) + ",memdev=m" + n));
        }
        cmd.addAll(List.of("-kernel", spec.kernel().toString(), "-initrd", spec.initramfs().orElseThrow().toString(),
                "-append", "console=ttyS0 panic=-1 no_timer_check " + spec.commandLine(), "-serial", "null",
                "-device", "virtio-serial-pci,id=vser0",
                "-chardev", "socket,id=ctl,path=" + sock + ",server=on,wait=off",
                "-device", "virtserialport,bus=vser0.0,chardev=ctl,name=" + MachineSpec.CONTROL_PORT));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            SocketChannel ch = null;
            while (ch == null) {
                try {
                    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                    ch.connect(UnixDomainSocketAddress.of(sock));
                } catch (IOException notYet) {
                    if (ch != null) {
                        ch.close();
                    }
                    ch = null;
                    if (!p.isAlive()) {
                        throw new IOException("plain QEMU exited: " + Files.readString(dir.resolve("log")));
                    }
                    Thread.sleep(2);
                }
            }
            AgentClient agent = AgentClient.connect(ch, READY_TIMEOUT);
            double ms = (System.nanoTime() - t0) / 1e6;
            agent.close();
            return ms;
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double percentile(double[] sorted, double pct) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(pct / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
