package dev.jktstr.benchmarks;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.kvm.Kvm;
import dev.jktstr.kvm.KvmBackend;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.qemu.QemuBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Our VMM against QEMU with KVM, same kernel, initramfs and topology, alternating boots in one run:
 * boot to the agent's READY (target: ours at most 0.5x — no firmware, no PCI to enumerate) and the
 * agent's PING round trip over our virtio-mmio console against QEMU's virtio-serial (target: ratio of
 * medians below 1). Needs real KVM (hardware, or the nested proving ground, where both run on the same
 * emulated CPU so the ratio still compares the two VMMs); under PVM the guest kernel is emulated and it
 * refuses unless given {@code --force} (then QEMU uses TCG).
 *
 * <p>Usage: {@code AgentPingKvmVsQemu [rounds] [pings per boot] [--force]}.
 */
public final class AgentPingKvmVsQemu {

    private AgentPingKvmVsQemu() {
    }

    public static void main(String[] args) throws Exception {
        boolean force = Arrays.asList(args).contains("--force");
        String[] rest = Arrays.stream(args).filter(a -> !a.equals("--force")).toArray(String[]::new);
        if (Kvm.isPvm() && !force) {
            System.err.println("kvm vs qemu skipped: this host's KVM is PVM (guest kernel emulated); "
                    + "run on a host with vmx/svm or through `jktstr nested-kvm` (pass --force to run anyway)");
            System.exit(2);
        }
        int rounds = rest.length > 0 ? Integer.parseInt(rest[0]) : 3;
        int pings = rest.length > 1 ? Integer.parseInt(rest[1]) : 2000;
        MachineBackend ours = new KvmBackend();
        MachineBackend qemu = new QemuBackend(null, Kvm.isPvm() ? QemuBackend.Accel.TCG : QemuBackend.Accel.KVM);
        // Three contenders, in an order that rotates each round: ours as shipped (the bzImage, decompressed by the
        // guest as under QEMU), ours loading the vmlinux beside it uncompressed (-Djktstr.kvm.directVmlinux=true:
        // what that buys or costs, measured in the same run), and QEMU.
        List<Contender> all = List.of(new Contender("jktstr kvm", ours, "false"),
                new Contender("jktstr kvm, direct vmlinux", ours, "true"), new Contender("qemu", qemu, null));
        try (GuestImage image = GuestImage.builder().withBusybox(true).build()) {
            MachineSpec spec = MachineSpec.builder(KernelLookup.standard().find().image()).initramfs(image.initramfs())
                    .topology(Topology.parse("1,1,2,1")).memoryPerNodeMib(256).commandLine("quiet")
                    .startTimeout(Duration.ofMinutes(5)).build();
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder("round " + (round + 1) + ": boot to READY");
                for (int k = 0; k < all.size(); k++) {
                    Contender c = all.get((round + k) % all.size());
                    measure(c, spec, pings);
                    line.append(String.format(" %s %.0f ms;", c.name, c.boots.getLast()));
                }
                System.out.println(line);
            }
        }
        Contender mine = all.get(0), direct = all.get(1), theirs = all.get(2);
        double ob = median(mine.boots);
        double qb = median(theirs.boots);
        System.out.printf("boot to READY, median of %d rotating boots each: jktstr kvm %.0f ms, qemu+%s %.0f ms; "
                + "ratio %.2f (target <= 0.5); loading the vmlinux directly %.0f ms%n", rounds, ob,
                Kvm.isPvm() ? "tcg" : "kvm", qb, ob / qb, median(direct.boots));
        double[] op = sorted(mine.pings);
        double[] dp = sorted(direct.pings);
        double[] qp = sorted(theirs.pings);
        System.out.printf("agent PING round trip, %d pings per boot: jktstr kvm (virtio-mmio console) median %.1f us, p99 %.1f us;"
                + " qemu (virtio-serial-pci) median %.1f us, p99 %.1f us; ratio of medians %.2f (target < 1)%n", pings,
                pct(op, 50), pct(op, 99), pct(qp, 50), pct(qp, 99), pct(op, 50) / pct(qp, 50));
        System.out.printf("direct vmlinux: boot to READY %.0f ms against %.0f ms from the bzImage (ratio %.2f); PING median "
                + "%.1f us against %.1f us%n", median(direct.boots), ob, median(direct.boots) / ob, pct(dp, 50),
                pct(op, 50));
    }

    /** One way of running the guest, and what it measured. {@code direct}: the kvm backend's direct-vmlinux property. */
    private static final class Contender {
        final String name;
        final MachineBackend backend;
        final String direct;
        final List<Double> boots = new ArrayList<>();
        final List<Double> pings = new ArrayList<>();

        Contender(String name, MachineBackend backend, String direct) {
            this.name = name;
            this.backend = backend;
            this.direct = direct;
        }
    }

    private static void measure(Contender c, MachineSpec spec, int n) {
        if (c.direct != null) {
            System.setProperty(KvmBackend.DIRECT_VMLINUX_PROPERTY, c.direct); // read at each boot
        }
        measure(c.backend, c.name, spec, n, c.boots, c.pings);
    }

    private static void measure(MachineBackend backend, String name, MachineSpec spec, int n, List<Double> boots,
            List<Double> pings) {
        long t0 = System.nanoTime();
        try (Machine m = backend.boot(spec);
             AgentClient agent = AgentClient.connect(m.control().in(), m.control().out(), Duration.ofMinutes(10))) {
            double wall = (System.nanoTime() - t0) / 1e6;
            boots.add(wall);
            // where the time went: the guest's own clock says how long the kernel and init took; the rest is the
            // VMM's (setting up, loading, the guest's clock starting) and the READY frame's way out
            System.out.printf("  %s: READY after %.0f ms wall; guest uptime at agent start %d ms, at READY %d ms; "
                    + "outside the guest's clock %.0f ms%n", name, wall, agent.agentBootTime().toMillis(),
                    agent.agentReadyTime().toMillis(), wall - agent.agentReadyTime().toMillis());
            for (int i = 0; i < 100; i++) {
                agent.ping();
            }
            for (int i = 0; i < n; i++) {
                long p0 = System.nanoTime();
                agent.ping();
                pings.add((System.nanoTime() - p0) / 1e3);
            }
        }
    }

    private static double[] sorted(List<Double> values) {
        double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a;
    }

    private static double median(List<Double> values) {
        return pct(sorted(values), 50);
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
