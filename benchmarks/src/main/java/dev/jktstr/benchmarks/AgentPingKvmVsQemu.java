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
import java.util.Arrays;

/**
 * The guest agent's round trip (PING) over our VMM's virtio console against QEMU's virtio-serial with
 * KVM, same kernel, initramfs and topology, in one run; prints both medians and p99s and the ratio
 * (target: ours lower, ratio below 1). Needs hardware KVM: under PVM the guest kernel is emulated and
 * the numbers say nothing about either device, so it refuses unless given {@code --force} (then QEMU
 * uses TCG).
 *
 * <p>Usage: {@code AgentPingKvmVsQemu [pings] [--force]}.
 */
public final class AgentPingKvmVsQemu {

    private AgentPingKvmVsQemu() {
    }

    public static void main(String[] args) throws Exception {
        boolean force = Arrays.asList(args).contains("--force");
        String[] rest = Arrays.stream(args).filter(a -> !a.equals("--force")).toArray(String[]::new);
        if (Kvm.isPvm() && !force) {
            System.err.println("agent ping kvm vs qemu skipped: this host's KVM is PVM (guest kernel emulated); "
                    + "run on a host with vmx/svm (pass --force to run anyway)");
            System.exit(2);
        }
        int pings = rest.length > 0 ? Integer.parseInt(rest[0]) : 2000;
        try (GuestImage image = GuestImage.builder().withBusybox(true).build()) {
            MachineSpec spec = MachineSpec.builder(KernelLookup.standard().find().image()).initramfs(image.initramfs())
                    .topology(Topology.parse("1,1,2,1")).memoryPerNodeMib(256).commandLine("quiet")
                    .startTimeout(Duration.ofMinutes(5)).build();
            double[] ours = pings(new KvmBackend(), spec, pings);
            double[] qemu = pings(new QemuBackend(null, Kvm.isPvm() ? QemuBackend.Accel.TCG : QemuBackend.Accel.KVM), spec, pings);
            System.out.printf("agent PING round trip, %d pings each: jktstr kvm (virtio-mmio console) median %.1f us, p99 %.1f us;"
                    + " qemu (virtio-serial-pci) median %.1f us, p99 %.1f us; ratio of medians %.2f (target < 1)%n", pings,
                    pct(ours, 50), pct(ours, 99), pct(qemu, 50), pct(qemu, 99), pct(ours, 50) / pct(qemu, 50));
        }
    }

    private static double[] pings(MachineBackend backend, MachineSpec spec, int n) {
        try (Machine m = backend.boot(spec);
             AgentClient agent = AgentClient.connect(m.control().in(), m.control().out(), Duration.ofMinutes(10))) {
            for (int i = 0; i < 100; i++) {
                agent.ping();
            }
            double[] us = new double[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                agent.ping();
                us[i] = (System.nanoTime() - t0) / 1e3;
            }
            Arrays.sort(us);
            return us;
        }
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
